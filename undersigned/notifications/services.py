"""Mail leaves through a background task, never inside a request.

``mail_enqueue`` renders the message, encrypts it with a server key into an ``OutgoingMail`` row
and enqueues its delivery after the transaction commits; the task carries only the row's id.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

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
        with get_connection() as connection:
            connection.send_messages([message])
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
