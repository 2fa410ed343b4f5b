"""Mail leaves through a background task, never inside a request.

``mail_enqueue`` renders the message, encrypts it with a server key into an ``OutgoingMail`` row
and enqueues its delivery; the task carries only the row's id.

No transaction is open while the mail server is talked to (on SQLite an open write transaction
holds the only write lock, and signers would wait on a slow mail server). ``mail_deliver`` claims
the row in one short transaction, sends with none open, and records the outcome in another.

The tasks are rows in this database (``django_tasks_db``), so a task enqueued inside a transaction
commits with it or not at all: a message is never left with no task to send it, and a task never
runs before the row it names is there. A worker that dies mid-send leaves its task RUNNING and the
message claimed; the task sweep (``tasks_sweep``) queues the task again once its maximum run time,
longer than the lease (``mail_lease``), has passed, and that run finds the lease over and sends the message.
A task that failed rather than died (the database gone between the claim and the outcome) is not
run again; the same sweep gives its message a new task (``mail_requeue_orphans``).

Delivery is at least once, not exactly once. The row is the sent-marker: it is deleted once the
mail server has answered 250 to the message. SMTP gives no way to make the server's acceptance
and that delete one step, so a worker that dies (SIGKILL, out of memory, power) after the server
has the whole message and before the delete commits leaves the row claimed, and the message is
sent again after the lease: the recipient gets it twice. The window is the server's answer, the
DELETE's round trip and its commit (about a millisecond on one network), and the dying worker's
message only. The same holds if the connection to the server drops after the last line of the
message and before the answer (the server may have taken it), or if the database cannot be
reached for the delete (it is restarting): the retry sends it again. It is
never sent twice otherwise: a run sends only a message it has claimed, and a claim is held until
the row is deleted or the lease ends. A duplicate confirmation mail is harmless (its link
confirms once; the second click says the signature is already confirmed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.core import process_caches, ratelimit
from undersigned.core.addresses import InvalidAddressError, normalise_email
from undersigned.core.crypto import keyed_hash, server_decrypt, server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.notifications.emails import build, message_of
from undersigned.notifications.models import OutgoingMail

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # about four hours of backoff: 1, 2, 4 … 64 minutes


def mail_lease() -> timedelta:
    """How long a worker holds a message it is sending (``MAIL_LEASE_SECONDS``, ten minutes unless
    shortened). Longer than any one attempt can take (each wait on the mail server ends after
    EMAIL_TIMEOUT, 20 s, and an attempt is at most two connections of a dozen exchanges), so no
    second worker takes a message that is still being sent; short enough that a message whose
    worker died goes out a few minutes late, not never. The task sweep runs a dead worker's
    ``deliver_mail`` again a minute after it (``tasks_sweep.services.max_run_time``)."""
    return timedelta(seconds=settings.MAIL_LEASE_SECONDS)


# A message still queued this long after it was written will never be sent: its attempts end
# within about four hours (``MAX_ATTEMPTS``, each run at most a lease). One older than this lost
# every task that could send it; the daily purge deletes it, and the address sealed in it.
MAIL_MAX_AGE = timedelta(days=1)
# A message never claimed this long after it was written has lost its task (it was deleted), or
# waits in a backlog this long; either way a second task is harmless (``mail_requeue_orphans``).
UNCLAIMED_GRACE = timedelta(hours=1)


# A form sent again this soon after its confirmation went out (a double click, a second tap on a
# slow phone) sends no second one: the first is on its way, and the answer says so.
RESEND_AFTER = timedelta(minutes=2)


def mailed_just_now(mailed_at: datetime | None) -> bool:
    """True if a confirmation went out less than ``RESEND_AFTER`` ago: the form was sent twice."""
    return mailed_at is not None and mailed_at > timezone.now() - RESEND_AFTER


def recipient_check(email: str) -> ratelimit.Check:
    """The rate-limit check of mails the public forms send to ``email`` (its keyed hash, however
    it is spelled). Forms count it with their own checks, before they send."""
    try:
        address = normalise_email(email)
    except InvalidAddressError:
        address = email.strip().lower()
    return ("mail.recipient.daily", keyed_hash("mail-recipient", address)[:32])


def too_many_mails() -> DomainError:
    return DomainError(
        "too_many_mails",
        _(
            "We have already sent several emails to this address today. To spare its owner more mail, "
            "we will not send another before tomorrow. Nothing you did before is lost."
        ),
        status=429,
    )


def mail_enqueue(*, name: str, to: str, context: dict[str, Any], language: str) -> OutgoingMail:
    message = build(name, to, context, language)
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    payload = {"to": to, "subject": message.subject, "text": message.body, "html": html}
    # With the caller's transaction when there is one: the row and its task commit together.
    with transaction.atomic(savepoint=False):
        mail = OutgoingMail.objects.create(
            template=name, sealed_message=server_encrypt(json.dumps(payload).encode("utf-8"))
        )
        _enqueue_delivery(str(mail.pk))
    return mail


def mail_purge_stale(*, now: datetime) -> int:
    """Deletes every message older than ``MAIL_MAX_AGE``; how many."""
    deleted, _ = OutgoingMail.objects.filter(created_at__lt=now - MAIL_MAX_AGE).delete()
    if deleted:
        logger.warning("deleted %s message(s) still queued a day after they were written", deleted)
    return deleted


def mail_requeue_orphans(*, now: datetime) -> int:
    """Queues a delivery for every message no task will send; how many. Run by the task sweep.

    A message has a task from the moment it is written (they commit together), but can lose it: a
    run that fails outside ``mail_deliver``'s own handling, such as the database going away between
    the claim and the outcome (a PostgreSQL restart), is recorded FAILED and never runs again,
    leaving its message claimed; a task row deleted by hand goes with its message's only task.
    Only messages free to claim without a waiting or running task of their own are taken: those
    whose lease is over, and those never claimed after ``UNCLAIMED_GRACE`` (a surge's backlog is
    messages never claimed yet, each with its task waiting: they are not read every minute). A
    second task for a message would be harmless anyway: one claim wins.
    """
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from undersigned.notifications.tasks import deliver_mail

    free = OutgoingMail.objects.filter(
        Q(claimed_until__lte=now) | Q(claimed_until__isnull=True, created_at__lte=now - UNCLAIMED_GRACE)
    )
    candidates = [str(pk) for pk in free.values_list("pk", flat=True)]
    orphans = []
    for start in range(0, len(candidates), 500):
        batch = candidates[start : start + 500]
        # Read after the messages: a task that commits in between is seen here, so it is not doubled.
        live = DBTaskResult.objects.filter(
            task_path=deliver_mail.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
            args_kwargs__args__0__in=batch,
        ).values_list("args_kwargs", flat=True)
        orphans += sorted(set(batch) - {str(arguments["args"][0]) for arguments in live})
    for mail_id in orphans:
        _enqueue_delivery(mail_id)
    if orphans:
        logger.warning("queued again %s message(s) whose delivery task was lost", len(orphans))
    return len(orphans)


def _enqueue_delivery(mail_id: str, run_after: datetime | None = None) -> None:
    """Enqueues ``deliver_mail`` in the caller's transaction."""
    from undersigned.notifications.tasks import deliver_mail

    task = deliver_mail.using(run_after=run_after) if run_after else deliver_mail
    task.enqueue(mail_id)


@dataclass(frozen=True)
class _Claim:
    mail: OutgoingMail
    until: datetime  # the lease this worker holds, and the mark that the row is still its own


def mail_deliver(*, mail_id: str) -> str:
    """Send one queued message; on failure try again later, up to ``MAX_ATTEMPTS``, then give up.

    The caller holds no transaction (the task runs outside one): the mail server is talked to
    between two short transactions. Safe under concurrent runs for one message: a run sends only
    the message it has claimed, and a claim lasts ``mail_lease()``.

    Returns what happened (for the task's result), never the address or the content.
    """
    claim = _claim(mail_id)
    if isinstance(claim, str):
        return claim
    mail = claim.mail
    try:
        payload = json.loads(server_decrypt(bytes(mail.sealed_message)))
    except InvalidToken:
        # Sealed under a data key that is no longer configured: no one can ever send it.
        _forget(claim)
        logger.error("dropped a %s message sealed under a data key that is no longer configured", mail.template)
        return "undecryptable"
    try:
        send_mail_now(message_of(**payload))
    except Exception as error:
        # smtplib's errors are OSErrors, like refused or dropped connections. Anything else (an
        # address the mail backend refuses) is retried and given up on alike: a task that failed is
        # never run again, and would leave the message claimed with no task to send it.
        return _record_failure(claim, error)
    _forget(claim)
    return "sent"


def _claim(mail_id: str) -> _Claim | str:
    """Takes the message for ``mail_lease()``, or says why not: "gone" (sent or given up) or "held" (being
    sent by another worker, or waiting for its next attempt, whose task is queued)."""
    with transaction.atomic():
        now = timezone.now()
        until = now + mail_lease()
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
        # One conditional UPDATE: of concurrent claims only one matches (PostgreSQL re-reads the row
        # after the first commits; SQLite takes one writer at a time). The attempt is counted now,
        # not after a failure, so that a message whose worker dies every time is given up too.
        claimed = OutgoingMail.objects.filter(free, pk=mail_id).update(claimed_until=until, attempts=F("attempts") + 1)
        if not claimed:
            return "held" if OutgoingMail.objects.filter(pk=mail_id).exists() else "gone"
        mail = OutgoingMail.objects.get(pk=mail_id)
        if mail.attempts > MAX_ATTEMPTS:  # the last attempts died with their workers
            mail.delete()
            logger.warning("giving up on a %s message after %s attempts", mail.template, MAX_ATTEMPTS)
            return "given up"
    # Should this worker die before it records the outcome, the task sweep runs this task again
    # after the lease (see the module's docstring): no second task is queued here.
    return _Claim(mail=mail, until=until)


def _forget(claim: _Claim) -> None:
    """Sent or unsendable: the row goes."""
    OutgoingMail.objects.filter(pk=claim.mail.pk).delete()


def _record_failure(claim: _Claim, error: Exception) -> str:
    mail = claim.mail
    with transaction.atomic():
        mine = OutgoingMail.objects.filter(pk=mail.pk, claimed_until=claim.until)
        if not mine.select_for_update().values_list("pk", flat=True):
            return "held"  # the lease ran out meanwhile: another worker has the message now
        if mail.attempts >= MAX_ATTEMPTS:
            mine.delete()
            logger.warning(
                "giving up on a %s message after %s attempts: %s", mail.template, mail.attempts, type(error).__name__
            )
            return "given up"
        delay = timedelta(minutes=2 ** (mail.attempts - 1))
        retry_at = timezone.now() + delay
        # Held until the retry, so that no other task sends it sooner; the retry's task commits
        # with the hold, so the message is never left without one.
        mine.update(claimed_until=retry_at)
        _enqueue_delivery(str(mail.pk), run_after=retry_at)
    logger.info("a %s message will be tried again in %s", mail.template, delay)
    return "retry"


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
