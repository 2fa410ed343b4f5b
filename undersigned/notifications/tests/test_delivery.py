"""Delivery over a real SMTP server on loopback: one session for many messages, and recovery when
the server has dropped the session a worker kept open."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from undersigned.notifications.models import OutgoingMail
from undersigned.notifications.services import mail_deliver, mail_enqueue

pytestmark = pytest.mark.django_db


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
