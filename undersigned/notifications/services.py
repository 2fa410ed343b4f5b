"""Mail leaves through a background task, never inside a request.

``mail_enqueue`` renders the message, encrypts it with a server key into an ``OutgoingMail`` row
and enqueues its delivery after the transaction commits; the task carries only the row's id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from undersigned.core import process_caches
from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.notifications.emails import build, message_of
from undersigned.notifications.models import OutgoingMail

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # about four hours of backoff: 1, 2, 4 … 64 minutes


def mail_enqueue(*, name: str, to: str, context: dict[str, Any], language: str) -> OutgoingMail:
    message = build(name, to, context, language)
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    payload = {"to": to, "subject": message.subject, "text": message.body, "html": html}
    mail = OutgoingMail.objects.create(
        template=name, sealed_message=server_encrypt(json.dumps(payload).encode("utf-8"))
    )
    transaction.on_commit(lambda: _enqueue_delivery(str(mail.pk)))
    return mail


def _enqueue_delivery(mail_id: str, delay: timedelta | None = None) -> None:
    from undersigned.notifications.tasks import deliver_mail

    task = deliver_mail.using(run_after=timezone.now() + delay) if delay else deliver_mail
    task.enqueue(mail_id)


def mail_deliver(*, mail_id: str) -> str:
    """Send one queued message; on failure try again later, up to ``MAX_ATTEMPTS``, then give up.

    Returns what happened (for the task's result), never the address or the content.
    """
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is None:
        return "gone"
    try:
        payload = json.loads(server_decrypt(bytes(mail.sealed_message)))
    except InvalidToken:
        # Sealed under a data key that is no longer configured: no one can ever send it.
        mail.delete()
        logger.error("dropped a %s message sealed under a data key that is no longer configured", mail.template)
        return "undecryptable"
    message = message_of(**payload)
    try:
        send_mail_now(message)
    except OSError as error:  # smtplib's errors are OSErrors, like refused or dropped connections
        mail.attempts += 1
        if mail.attempts >= MAX_ATTEMPTS:
            mail.delete()
            logger.warning(
                "giving up on a %s message after %s attempts: %s", mail.template, mail.attempts, type(error).__name__
            )
            return "given up"
        mail.save(update_fields=["attempts"])
        delay = timedelta(minutes=2 ** (mail.attempts - 1))
        transaction.on_commit(lambda: _enqueue_delivery(str(mail.pk), delay))
        logger.info("a %s message will be tried again in %s", mail.template, delay)
        return "retry"
    mail.delete()
    return "sent"


# A worker keeps its mail connection open from one message to the next: under load a new SMTP
# session (connect, greeting, EHLO, STARTTLS, AUTH) per message costs more than the message.
# A connection idle for longer than this is replaced rather than trusted: servers drop idle ones.
CONNECTION_IDLE_SECONDS = 30.0
_worker_connection = threading.local()


def send_mail_now(message: EmailMessage) -> None:
    """Sends over this thread's open connection; one that turns out dropped is replaced once."""
    for attempt in (1, 2):
        connection, fresh = _connection()
        try:
            connection.send_messages([message])
        except OSError:
            close_mail_connection()
            if fresh or attempt == 2:
                raise
            continue  # the server had dropped a reused connection: try once on a new one
        _worker_connection.last_used = time.monotonic()
        return


def _connection() -> tuple[BaseEmailBackend, bool]:
    """This thread's open connection, and whether it was opened just now."""
    connection: BaseEmailBackend | None = getattr(_worker_connection, "connection", None)
    idle = time.monotonic() - getattr(_worker_connection, "last_used", 0.0)
    # Mail settings are fixed in production; tests change them, and a connection is for one server.
    server = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    if connection is not None and idle < CONNECTION_IDLE_SECONDS and _worker_connection.server == server:
        return connection, False
    close_mail_connection()
    connection = get_connection()
    connection.open()
    _worker_connection.connection, _worker_connection.server = connection, server
    return connection, True


def close_mail_connection() -> None:
    connection: BaseEmailBackend | None = getattr(_worker_connection, "connection", None)
    _worker_connection.connection = None
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


process_caches.register(
    __name__,
    "_worker_connection",
    clear=close_mail_connection,
    never_stale="an open connection, no data; replaced after CONNECTION_IDLE_SECONDS idle or when mail settings change",
)
