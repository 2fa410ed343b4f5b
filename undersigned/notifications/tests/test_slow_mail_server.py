"""A slow mail server never holds up a signer.

On SQLite a transaction holds the database's only write lock: a worker that talked to the mail
server inside one would make every signer wait for the mail server, and fail with "database is
locked" once the wait passed the busy timeout. This runs the worker and a signer at once against a
SQLite file, as production does (the suite's in-memory database locks differently: it refuses a
second writer at once instead of making it wait), in a process of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from django.db import connection

# Production waits 20 s for the write lock; here 2 s stands for it, so that a signer held up by
# the mail server fails in seconds. The mail server answers after 5 s: longer than that wait.
BUSY_TIMEOUT_SECONDS = 2
MAIL_SERVER_SECONDS = 5.0


def test_a_signer_signs_while_a_delivery_waits_on_a_slow_mail_server(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("shows SQLite's single write lock; the PostgreSQL suite has no such lock to show")
    from undersigned.testing import ROOT, production_environment

    environment = production_environment(tmp_path)
    for name in ("REDIS_URL", "EMAIL_URL"):  # rate limits in the database, as on a small site
        del environment[name]
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "SITE_URL": "http://testserver",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"from {__name__} import sign_while_mail_is_slow; sign_while_mail_is_slow()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "sign": 200,
        "delivery still waiting on the mail server when the signer was answered": True,
        "delivery": "sent",
        "messages received": 1,
        "signatures": 2,
    }, result.stderr


def sign_while_mail_is_slow() -> None:
    """In its own process, with a SQLite file: a confirmation mail is being delivered to a mail
    server that takes ``MAIL_SERVER_SECONDS`` to answer while a second signer signs. Prints what
    happened as JSON."""
    import django
    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"]
    assert isinstance(options, dict)
    options["timeout"] = BUSY_TIMEOUT_SECONDS
    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import OperationalError, connections
    from django.test import Client

    from undersigned.notifications.models import OutgoingMail
    from undersigned.notifications.tasks import deliver_mail
    from undersigned.notifications.tests.test_delivery import HoldingMailbox, free_port
    from undersigned.signatures.models import Signature
    from undersigned.signatures.tests.conftest import build_open_statement, build_site, form_data

    call_command("migrate", verbosity=0)
    mailbox = HoldingMailbox(seconds=MAIL_SERVER_SECONDS)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    target = build_open_statement(build_site())
    client = Client()
    first = client.post(target.sign_url, form_data(target.revision, email="first@example.org", name="Ada First"))
    assert first.status_code == 200, first.status_code
    (mail,) = OutgoingMail.objects.all()
    delivered: list[str] = []

    def deliver() -> None:  # as the worker runs the task: db_worker calls it with no transaction open
        try:
            delivered.append(deliver_mail.call(str(mail.pk)))
        finally:
            connections.close_all()

    delivery = threading.Thread(target=deliver)
    delivery.start()
    assert mailbox.arrived.wait(10), "the delivery never reached the mail server"
    try:
        answer: int | str = client.post(
            target.sign_url, form_data(target.revision, email="second@example.org", name="Bea Second")
        ).status_code
    except OperationalError as error:
        answer = str(error)
    still_waiting = not mailbox.answer.is_set() and delivery.is_alive()
    mailbox.answer.set()
    delivery.join(30)
    controller.stop()
    outcome = {
        "sign": answer,
        "delivery still waiting on the mail server when the signer was answered": still_waiting,
        "delivery": delivered[0] if delivered else "unfinished",
        "messages received": len(mailbox.recipients),
        "signatures": Signature.objects.count(),
    }
    print(json.dumps(outcome), flush=True)  # noqa: T201
