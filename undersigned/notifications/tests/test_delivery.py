"""Delivery over a real SMTP server on loopback: one session for many messages, recovery when the
server has dropped the session a worker kept open, retries and giving up, and each message sent
once by workers that overlap or die."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from undersigned.notifications import services
from undersigned.notifications.models import OutgoingMail
from undersigned.notifications.services import MAX_ATTEMPTS, mail_deliver, mail_enqueue, mail_lease

pytestmark = pytest.mark.django_db
T = TypeVar("T")


class SessionCountingMailbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.sessions: set[int] = set()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.sessions.add(id(session))
        self.recipients += envelope.rcpt_tos  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_settings(settings) -> Iterator[int]:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield port


def queued_mail(to: str) -> str:
    mail = mail_enqueue(name="signature_confirm", to=to, language="en", context={"statement_title": "A sample"})
    return str(mail.pk)


def test_a_worker_sends_many_messages_in_one_smtp_session(smtp_settings):
    mailbox = SessionCountingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    try:
        results = [mail_deliver(mail_id=queued_mail(f"reader{number}@example.org")) for number in range(3)]
    finally:
        controller.stop()
    assert results == ["sent"] * 3
    assert mailbox.recipients == [f"reader{number}@example.org" for number in range(3)]
    assert len(mailbox.sessions) == 1
    assert not OutgoingMail.objects.exists()


def test_a_session_the_server_dropped_is_replaced_without_losing_the_message(smtp_settings):
    first, second = SessionCountingMailbox(), SessionCountingMailbox()
    controller = Controller(first, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    assert mail_deliver(mail_id=queued_mail("before@example.org")) == "sent"
    controller.stop()  # the server restarts: the worker's open session is dead
    controller = Controller(second, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    try:
        assert mail_deliver(mail_id=queued_mail("after@example.org")) == "sent"
    finally:
        controller.stop()
    assert second.recipients == ["after@example.org"]
    assert not OutgoingMail.objects.exists()


def test_no_server_keeps_the_message_for_a_later_attempt(smtp_settings):
    mail_id = queued_mail("later@example.org")
    assert mail_deliver(mail_id=mail_id) == "retry"
    assert OutgoingMail.objects.get(pk=mail_id).attempts == 1


def queued_tasks(mail_id: str) -> list[DBTaskResult]:
    """The deliveries of ``mail_id`` that a worker has yet to run, soonest first."""
    return [
        result
        for result in DBTaskResult.objects.filter(status="READY").order_by("run_after")
        if result.args_kwargs["args"] == [mail_id]
    ]


def run_after(task: DBTaskResult) -> datetime | None:
    """When the task is due; None for "as soon as a worker is free"."""
    return task.task.run_after


def due(task: DBTaskResult) -> datetime:
    return run_after(task) or timezone.now()


ADDRESS = "Quillon.Retry-Marchetti@Example-Mail.ORG"


def test_a_message_is_given_up_after_the_last_attempt_and_no_address_is_logged(smtp_settings, caplog):
    caplog.set_level(logging.DEBUG)
    mail_id = queued_mail(ADDRESS)  # nothing listens on the port: every connection is refused
    outcomes, early = [], []
    for attempt in range(MAX_ATTEMPTS):
        (task,) = queued_tasks(mail_id)  # always exactly one task queued for the message
        if attempt:  # a retry: the message is held until its task is due, and not sent sooner
            assert OutgoingMail.objects.get(pk=mail_id).claimed_until == run_after(task)
            with time_machine.travel(due(task) - timedelta(seconds=1), tick=False):
                early.append(mail_deliver(mail_id=mail_id))
        with time_machine.travel(due(task), tick=False):
            outcomes.append(mail_deliver(mail_id=mail_id))
        task.delete()  # it ran

    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["given up"]
    assert early == ["held"] * (MAX_ATTEMPTS - 1)
    assert not OutgoingMail.objects.filter(pk=mail_id).exists()
    assert queued_tasks(mail_id) == []
    (warning,) = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warning.getMessage() == (
        f"giving up on a signature_confirm message after {MAX_ATTEMPTS} attempts: ConnectionRefusedError"
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ADDRESS not in logged and ADDRESS.lower() not in logged


def test_a_message_sealed_under_a_key_no_longer_configured_is_dropped(smtp_server, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.DATA_KEYS = [secrets.token_bytes(32)]
    mail_id = queued_mail(ADDRESS)
    settings.DATA_KEYS = [secrets.token_bytes(32)]  # the key it was sealed under is retired

    assert mail_deliver(mail_id=mail_id) == "undecryptable"

    assert smtp_server.messages == []
    assert not OutgoingMail.objects.filter(pk=mail_id).exists()
    (first,) = queued_tasks(mail_id)  # only the task that ran here by hand; no retry
    assert run_after(first) is None
    (error,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert error.levelno == logging.ERROR
    assert error.getMessage() == (
        "dropped a signature_confirm message sealed under a data key that is no longer configured"
    )
    assert ADDRESS not in "\n".join(record.getMessage() for record in caplog.records)


def test_a_failed_attempt_is_held_and_its_retry_queued_in_one_transaction(smtp_settings):
    mail_id = queued_mail("later@example.org")
    DBTaskResult.objects.all().delete()  # as if the first task had run

    assert mail_deliver(mail_id=mail_id) == "retry"

    mail = OutgoingMail.objects.get(pk=mail_id)
    (retry,) = queued_tasks(mail_id)
    assert mail.attempts == 1
    assert retry.run_after == mail.claimed_until
    assert timedelta(seconds=50) < mail.claimed_until - timezone.now() <= timedelta(minutes=1)


def test_a_message_and_its_task_commit_together_or_not_at_all():
    class RolledBackError(Exception):
        pass

    with pytest.raises(RolledBackError), transaction.atomic():
        mail_id = queued_mail("never@example.org")
        assert queued_tasks(mail_id)
        raise RolledBackError

    assert not OutgoingMail.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_holds_no_transaction_while_the_mail_server_has_the_message(smtp_server, run_tasks, monkeypatch):
    """On SQLite an open transaction holds the only write lock: signers would wait on the mail server."""
    queued_mail("reader@example.org")
    real_send, in_transaction = services.send_mail_now, []

    def send_and_look(message: EmailMessage) -> None:
        in_transaction.append(connection.in_atomic_block)
        real_send(message)

    monkeypatch.setattr(services, "send_mail_now", send_and_look)
    run_tasks()

    assert len(smtp_server.messages) == 1
    assert in_transaction == [False]


class HoldingMailbox:
    """A mail server that holds each message's DATA until told to answer (at most ``seconds``)."""

    def __init__(self, seconds: float = 10.0) -> None:
        self.arrived, self.answer = threading.Event(), threading.Event()
        self.seconds = seconds
        self.recipients: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.answer.wait, self.seconds)
        self.recipients += envelope.rcpt_tos  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def in_thread(work: Callable[[], T]) -> Callable[[], T]:
    """``work`` with its thread's database connection handed back when it ends."""

    def run() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    return run


@pytest.mark.django_db(transaction=True)
def test_a_message_being_sent_is_not_sent_again_by_another_run(smtp_settings):
    mailbox = HoldingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    mail_id = queued_mail("once@example.org")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(in_thread(lambda: mail_deliver(mail_id=mail_id)))
            assert mailbox.arrived.wait(10)
            second = mail_deliver(mail_id=mail_id)  # while the first is still talking to the server
            mailbox.answer.set()
            assert (first.result(timeout=30), second) == ("sent", "held")
    finally:
        mailbox.answer.set()
        controller.stop()
    assert mailbox.recipients == ["once@example.org"]
    assert not OutgoingMail.objects.exists()
    assert [run_after(task) for task in queued_tasks(mail_id)] == [None]  # the first, never run


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_for_the_same_messages_send_each_once(smtp_settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")
    mailbox = SessionCountingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings)
    controller.start()
    addresses = [f"reader{number}@example.org" for number in range(5)]
    mail_ids = [queued_mail(address) for address in addresses]
    runs = 6
    barrier = threading.Barrier(runs, timeout=30)

    def deliver_all() -> list[str]:
        connection.ensure_connection()
        barrier.wait()
        return [mail_deliver(mail_id=mail_id) for mail_id in mail_ids]

    try:
        with ThreadPoolExecutor(max_workers=runs) as pool:
            futures = [pool.submit(in_thread(deliver_all)) for _ in range(runs)]
            outcomes = [future.result(timeout=60) for future in futures]
    finally:
        controller.stop()
    for per_message in zip(*outcomes, strict=True):
        assert sorted(per_message).count("sent") == 1, per_message
        assert set(per_message) <= {"sent", "held", "gone"}, per_message
    assert sorted(mailbox.recipients) == addresses
    assert not OutgoingMail.objects.exists()


def test_the_sweep_runs_a_delivery_again_only_once_its_lease_has_run_out(settings):
    from undersigned.tasks_sweep.services import max_run_time

    for seconds in (600, 60):  # the default, and the shortest MAIL_LEASE_SECONDS allows
        settings.MAIL_LEASE_SECONDS = seconds
        assert max_run_time("undersigned.notifications.tasks.deliver_mail") >= mail_lease() + timedelta(minutes=1)
        assert max_run_time("undersigned.deliveries.tasks.send_delivery") >= mail_lease() + timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lease_seconds", [600, 60])  # the default, and the shortest MAIL_LEASE_SECONDS
def test_a_message_whose_worker_died_is_sent_once_after_its_lease_and_the_sweep(
    smtp_server, run_tasks, monkeypatch, settings, lease_seconds
):
    from undersigned.tasks_sweep.services import tasks_requeue_abandoned

    settings.MAIL_LEASE_SECONDS = lease_seconds

    mail_id = queued_mail("late@example.org")

    def killed(message: object) -> None:
        # How ``db_worker`` ends a task when it is stopped twice (SIGTERM, then SIGTERM again):
        # sys.exit in the middle of it. A SIGKILL leaves the task RUNNING instead; the sweep takes
        # both alike (``tasks_sweep/tests`` kills a real worker process).
        raise SystemExit(1)

    monkeypatch.setattr(services, "send_mail_now", killed)
    run_tasks()  # the worker dies while sending: no outcome is recorded, the row stays claimed
    monkeypatch.undo()
    assert OutgoingMail.objects.get(pk=mail_id).claimed_until is not None
    assert queued_tasks(mail_id) == []  # no second task was queued for it

    assert tasks_requeue_abandoned().requeued == 0  # within the task's run time: maybe just slow
    run_tasks()
    assert smtp_server.messages == []

    with time_machine.travel(timezone.now() + mail_lease() + timedelta(minutes=1, seconds=1), tick=True):
        assert tasks_requeue_abandoned().requeued == 1
        run_tasks()

    assert [str(message["To"]) for message in smtp_server.messages] == ["late@example.org"]
    assert not OutgoingMail.objects.exists()
    assert queued_tasks(mail_id) == []


def test_a_message_the_mail_backend_refuses_is_retried_not_left_claimed(smtp_settings, monkeypatch):
    mail_id = queued_mail("later@example.org")
    DBTaskResult.objects.all().delete()  # as if the first task had run

    def refuse(message: object) -> None:
        raise ValueError("Invalid address")

    monkeypatch.setattr(services, "send_mail_now", refuse)
    assert mail_deliver(mail_id=mail_id) == "retry"
    (retry,) = queued_tasks(mail_id)
    assert retry.run_after == OutgoingMail.objects.get(pk=mail_id).claimed_until


def test_a_signers_mail_is_queued_even_if_the_process_dies_right_after_the_commit(
    libraries, django_capture_on_commit_callbacks
):
    """No step between the commit and the mail's task: the signature, the message and its task are
    one transaction. Commit callbacks that never run are what a process killed just after the
    commit leaves (an app server's SIGKILL, or the machine gone)."""
    from undersigned.signatures.tests.conftest import build_open_statement, sign

    target = build_open_statement(libraries)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        sign(target, email="ada@example.org")

    (mail,) = OutgoingMail.objects.all()
    assert mail.template == "signature_confirm"
    assert [task.status for task in queued_tasks(str(mail.pk))] == ["READY"]


@pytest.mark.django_db(transaction=True)
def test_a_message_whose_task_failed_on_a_database_error_is_queued_again_by_the_sweep(
    smtp_server, run_tasks, monkeypatch
):
    """The database went away between the claim and the outcome (a PostgreSQL restart): the worker
    records the task FAILED, and it never runs again. The sweep gives the message a new task once
    the lease is over, and leaves alone the messages whose task is still waiting or running."""
    from django.db import OperationalError

    from undersigned.notifications.services import UNCLAIMED_GRACE, mail_requeue_orphans

    stranded = queued_mail("stranded@example.org")

    def database_gone(claim: object, error: Exception) -> str:
        raise OperationalError("server closed the connection unexpectedly")

    def refused(message: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(services, "send_mail_now", refused)
    monkeypatch.setattr(services, "_record_failure", database_gone)
    run_tasks()
    monkeypatch.undo()
    (failed,) = DBTaskResult.objects.filter(args_kwargs__args=[stranded])
    assert (failed.status, failed.exception_class_path) == ("FAILED", "django.db.utils.OperationalError")
    waiting = queued_mail("waiting@example.org")  # its task is READY: it is not an orphan

    assert mail_requeue_orphans(now=timezone.now()) == 0  # the stranded message's lease holds
    later = timezone.now() + mail_lease() + timedelta(seconds=1)
    assert mail_requeue_orphans(now=later) == 1
    assert len(queued_tasks(stranded)) == 1 and len(queued_tasks(waiting)) == 1
    assert mail_requeue_orphans(now=later) == 0  # it has a task now

    DBTaskResult.objects.filter(args_kwargs__args=[waiting]).delete()  # a task lost by hand
    assert mail_requeue_orphans(now=later) == 0  # never claimed: maybe a backlog, for a while
    assert mail_requeue_orphans(now=later + UNCLAIMED_GRACE) == 1

    with time_machine.travel(later, tick=True):
        run_tasks()
    assert sorted(str(message["To"]) for message in smtp_server.messages) == [
        "stranded@example.org",
        "waiting@example.org",
    ]
    assert not OutgoingMail.objects.exists()
