"""A seized server reveals no signer: after a whole signature (sign, mail, confirm), the signer's
address and name are nowhere in the database, the task rows or the logs; only the trustees' keys
open them; the public list shows what each signer chose and nothing more."""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from undersigned.core.crypto import new_identity, open_sealed
from undersigned.notifications.models import OutgoingMail
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_confirm
from undersigned.signatures.tests.conftest import form_data, signature_of
from undersigned.testing import ROOT, production_environment

pytestmark = pytest.mark.django_db(transaction=True)

# Distinctive values, so that finding one in a dump cannot be a coincidence.
SIGNER = {
    "name": "Quillon Marchetti-Abara",
    "email": "Quillon.Marchetti@Example-Mail.ORG",
    "city": "Zeravshanbridge",
    "affiliation": "Guild of Tidewatchers",
    "country": "FR",
    "name_shown": Signature.NameShown.HIDDEN,
}


def secrets_of(signer: dict[str, str]) -> list[str]:
    """What must never be stored in the clear: the address as typed and lower-cased, the name, the
    city and the affiliation."""
    return [signer["email"], signer["email"].lower(), signer["name"], signer["city"], signer["affiliation"]]


def assert_holds_none(content: bytes | str, where: str, signer: dict[str, str] = SIGNER) -> None:
    data = content.encode() if isinstance(content, str) else content
    for secret in secrets_of(signer):
        assert secret.encode() not in data, f"{secret!r} is in {where}"


@pytest.fixture
def confirmed(open_statement, client, smtp_server, run_tasks, caplog):
    """The whole journey through the pages and a real mail server; returns the signature."""
    # The worker command sets its own logger's level by its verbosity: reset it to see everything.
    for logger in (None, "django_tasks", "undersigned"):
        caplog.set_level(logging.DEBUG, logger=logger)
    signed = client.post(open_statement.sign_url, form_data(open_statement.revision, **SIGNER))
    assert signed.status_code == 200
    assert "Check your email" in signed.text

    run_tasks()

    (message,) = smtp_server.messages
    assert message["To"] == SIGNER["email"]
    link = next(link for link in smtp_server.links_in(message) if "/signatures/confirm/" in link)
    path = urlsplit(link).path
    assert client.get(path).status_code == 200  # a mail scanner opening the link confirms nothing
    assert signature_of(open_statement.statement, SIGNER["email"]).status == Signature.Status.PENDING
    answer = client.post(path, follow=True)
    assert answer.status_code == 200
    signature = signature_of(open_statement.statement, SIGNER["email"])
    assert signature.status == Signature.Status.CONFIRMED
    return signature


def test_the_outgoing_mail_is_deleted_once_delivered(confirmed):
    assert not OutgoingMail.objects.exists()


def test_task_results_hold_no_address(confirmed):
    results = list(DBTaskResult.objects.all())
    assert ("undersigned.notifications.tasks.deliver_mail", "sent") in [
        (result.task_path, result.return_value) for result in results
    ]
    # Any other is the ledger's sealing, which waits a moment to chain events in a batch, or the
    # task sweep, whose chain the first task a worker starts on a new site starts.
    assert {result.task_path for result in results} <= {
        "undersigned.notifications.tasks.deliver_mail",
        "undersigned.ledger.tasks.seal_ledger",
        "undersigned.tasks_sweep.tasks.sweep_tasks",
    }
    for result in results:
        stored = json.dumps([result.args_kwargs, result.return_value, result.traceback, result.exception_class_path])
        assert_holds_none(stored, "a task result")


def test_the_logs_of_the_journey_hold_no_address(confirmed, caplog):
    # The journey ran while the fixture was set up. "mail.log" is aiosmtpd's, the stand-in for the
    # outside mail server, which must know the address.
    journey = caplog.get_records("setup") + caplog.get_records("call")
    records = [record for record in journey if record.name != "mail.log"]
    assert any(record.name == "django_tasks" for record in records)  # the capture saw the journey
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in records)
    assert_holds_none(logged, "the logs")


def test_the_sealed_contact_opens_with_the_trustees_identity_only(confirmed, open_statement):
    sealed = bytes(confirmed.sealed_contact)

    contact = json.loads(open_sealed(sealed, open_statement.identity))

    assert {key: contact[key] for key in ("name", "email", "city", "affiliation", "country")} == {
        key: SIGNER[key] for key in ("name", "email", "city", "affiliation", "country")
    }
    assert contact["statement"] == open_statement.statement.slug
    stranger, _ = new_identity()
    with pytest.raises(Exception, match=r"(?i)decrypt|no matching keys"):
        open_sealed(sealed, stranger)


def test_what_the_server_keeps_in_the_clear(confirmed):
    assert (confirmed.country, confirmed.name_shown, confirmed.display_name) == ("FR", "hidden", "")
    assert len(confirmed.email_hash) == 64
    assert len(confirmed.network_hash) == 64
    assert confirmed.revision_id is not None


def postgresql_dump() -> bytes:
    settings = connection.settings_dict
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda path: int(path.split("/")[4].split(".")[0])
    )
    if not candidates:
        pytest.fail("pg_dump is missing: install postgresql-client")
    command = [candidates[-1], "--no-owner", "--no-privileges", "--dbname", settings["NAME"]]
    command += ["--host", settings["HOST"] or "localhost", "--port", str(settings["PORT"] or 5432)]
    if settings["USER"]:
        command += ["--username", settings["USER"]]
    environment = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    result = subprocess.run(command, capture_output=True, env=environment, timeout=60, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_a_postgresql_dump_holds_no_address_or_name(confirmed):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump reads PostgreSQL; the SQLite suite greps the database file instead")

    dump = postgresql_dump()

    assert b"COPY public.signatures_signature" in dump  # the dump is of the database that holds it
    assert_holds_none(dump, "the PostgreSQL dump")


# The whole journey in another process, against a SQLite file and its write-ahead log, which the
# suite's in-memory database cannot show. The process stops without closing the database, like a
# server seized while running, so recent pages are still in the -wal file.
SQLITE_JOURNEY = """
import json, os, re, sys
from urllib.parse import urlsplit

import django

django.setup()
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

call_command("migrate", verbosity=0)
setup_test_environment()  # Django's in-memory mail outbox

from undersigned.signatures.models import Signature
from undersigned.signatures.tests.conftest import build_open_statement, build_site, form_data

signer = json.loads(sys.argv[1])
target = build_open_statement(build_site())
client = Client()
signed = client.post(target.sign_url, form_data(target.revision, **signer))
assert signed.status_code == 200, signed.status_code
call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
(message,) = mail.outbox
assert message.to == [signer["email"]], message.to
link = next(link for link in re.findall(r"https?://\\S+", message.body) if "/signatures/confirm/" in link)
assert client.post(urlsplit(link).path).status_code == 302
assert Signature.objects.get().status == "confirmed"
print("confirmed", flush=True)
os._exit(0)
"""


def test_the_sqlite_file_and_its_log_hold_no_address_or_name(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("greps a SQLite database file; the PostgreSQL suite greps a pg_dump instead")
    environment = production_environment(tmp_path)
    for name in ("REDIS_URL", "EMAIL_URL"):
        del environment[name]
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "SITE_URL": "http://testserver",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "DEBUG",
    }

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SQLITE_JOURNEY, json.dumps(SIGNER)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.stdout.strip() == "confirmed", result.stderr
    database, log = tmp_path / "db.sqlite3", tmp_path / "db.sqlite3-wal"
    assert database.stat().st_size > 0
    assert log.exists(), "the write-ahead log was checkpointed away"
    # The greps read the right files: between them they hold the statement and the confirmation
    # (where each page lies depends on when SQLite last checkpointed the log).
    both = database.read_bytes() + log.read_bytes()
    assert b"library-opening-hours" in both
    assert b"confirmed" in both
    assert_holds_none(database.read_bytes(), "the SQLite database file")
    assert_holds_none(log.read_bytes(), "the SQLite write-ahead log")
    assert_holds_none(result.stderr, "the logs of the process")


# --- The public list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_list_shows_each_name_as_its_signer_chose_and_never_an_address_or_city(open_statement, client):
    signers = [
        {"name": "Ada Lovelace", "email": "ada@example.org", "city": "London", "name_shown": "full"},
        {"name": "Grace Brewster Hopper", "email": "grace@example.net", "city": "Arlington", "name_shown": "initial"},
        {"name": "Hedy Lamarr", "email": "hedy@example.com", "city": "Vienna", "name_shown": "hidden"},
        # Pending: not confirmed, so not listed, whatever the choice.
        {"name": "Katherine Johnson", "email": "katherine@example.org", "city": "Hampton", "name_shown": "full"},
    ]
    for signer in signers:
        answer = client.post(open_statement.sign_url, form_data(open_statement.revision, country="US", **signer))
        assert answer.status_code == 200
    for signer in signers[:3]:
        signature = signature_of(open_statement.statement, signer["email"])
        signature_confirm(signature_id=signature.pk, statement_id=open_statement.statement.pk)

    page = client.get(open_statement.list_url)

    assert page.status_code == 200
    names = [
        re.sub(r"\s+", " ", name).strip() for name in re.findall(r'class="signer-list__name"[^>]*>([^<]*)<', page.text)
    ]
    assert names == ["Grace H.", "Ada Lovelace"]  # newest first
    assert "3 confirmed signatures" in page.text
    for signer in signers:
        assert signer["email"] not in page.text
        assert signer["city"] not in page.text
    for hidden in ("Hedy", "Lamarr", "Katherine", "Brewster", "Hopper"):
        assert hidden not in page.text
