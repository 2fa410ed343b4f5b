"""Updates to the signers of a statement who asked for them (``manage.py send_update``).

The server cannot read signers' addresses; a trustee lends their identity to this one command.
Each confirmed, opted-in signer's record is opened in memory, the message built and handed to the
mail server at once, and the address forgotten: it goes into no outgoing-mail row, file or log.
Mail therefore leaves only over SMTP (``EMAIL_URL``); the development outbox, which writes files,
is refused. Every update ends with the link to the signer's data page, where updates stop: the one
thing this module takes from ``privacy``, above it.

Each signer is claimed in one short transaction (an ``UpdateDelivery`` row held for ``mail_lease()``),
the message handed over with no transaction open (on SQLite an open transaction holds the only
write lock, and signers signing meanwhile would wait on the mail server), and the outcome recorded
in another: the row is kept as sent, or removed when the message did not go. A run skips the
signatures sent or being sent, so the same update run again (after a stop or a refused
connection) continues where it stopped and sends no one a second copy, and concurrent runs never
both send to one signer. A run killed while sending leaves its claim until the lease runs out; the
next run after that sends to that signer. The one gap is a kill between the mail server's
acceptance and the recording, a few milliseconds per message: that signer gets a second copy.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.core import audit
from undersigned.core.exceptions import DomainError
from undersigned.notifications.emails import build
from undersigned.notifications.services import close_mail_connection, mail_lease, send_mail_now
from undersigned.privacy.tokens import LINK_HOURS as DATA_LINK_HOURS
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.sealing.trustee_identities import TrusteeIdentities
from undersigned.signatures.models import Signature, Update, UpdateDelivery
from undersigned.signatures.tokens import SignatureRef, withdraw_token
from undersigned.statements.models import Statement

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20_000
BATCH_SIZE = 200


@dataclass
class UpdateOutcome:
    update: Update | None
    recipients: int  # confirmed, opted in, with contact data, and not sent this update before
    sent: int = 0
    unopened: int = 0  # the identity does not open their record
    refused: int = 0  # the mail server refused the address
    sent_before: int = 0  # another run of the same update got there first (or is sending it now)
    opted_out: int = 0  # withdrew, erased or stopped updates while the run went on


class UpdateInterruptedError(Exception):
    """The mail server failed in a way that would fail every next message too; what was sent is
    recorded, so running the same update again continues."""

    def __init__(self, outcome: UpdateOutcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome


def _check_text(subject: str, body: str) -> tuple[str, str]:
    subject = subject.strip()
    if not subject or "\n" in subject or "\r" in subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise DomainError("bad_subject", _("Give the update a subject of one line, at most 200 characters."))
    body = body.strip()
    if not body:
        raise DomainError("empty_body", _("The update's text is empty."))
    if len(body) > MAX_BODY_LENGTH:
        raise DomainError("body_too_long", _("Keep the update's text under 20,000 characters."))
    return subject, body


def _check_mail_goes_over_smtp() -> None:
    if not isinstance(get_connection(), SMTPBackend):
        raise DomainError(
            "no_smtp",
            _(
                "Updates are handed straight to a mail server, so that no address is kept: set EMAIL_URL "
                "(the mail backend configured now would keep the messages)."
            ),
        )


def update_send(
    *,
    statement: Statement,
    subject: str,
    body: str,
    identities: TrusteeIdentities,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> UpdateOutcome:
    """Send ``subject`` and ``body`` to ``statement``'s confirmed signers who asked for updates and
    have not had this update yet (the same statement, subject and text is the same update).

    A dry run counts them and opens nothing. Raises ``DomainError`` for bad input, or when the
    identity opens none of the records (then nothing is sent or stored), and ``UpdateInterruptedError``
    when the mail server fails for every message.
    """
    subject, body = _check_text(subject, body)
    body_sha256 = hashlib.sha256(body.encode("utf-8")).hexdigest()
    update = Update.objects.filter(statement=statement, subject=subject, body_sha256=body_sha256).first()
    recipients = (
        Signature.objects.filter(statement=statement, status=Signature.Status.CONFIRMED, wants_updates=True)
        .exclude(sealed_contact=b"")
        .select_related("revision")
        .order_by("pk")
    )
    if update is not None:
        sent = UpdateDelivery.objects.filter(update=update, claimed_until__isnull=True)
        recipients = recipients.exclude(pk__in=sent.values("signature_id"))
    outcome = UpdateOutcome(update=update, recipients=recipients.count())
    if dry_run or not outcome.recipients:
        return outcome
    _check_mail_goes_over_smtp()
    last_pk = 0
    try:
        while batch := list(recipients.filter(pk__gt=last_pk)[:BATCH_SIZE]):
            last_pk = batch[-1].pk
            for signature in batch:
                address = _address(signature, identities)
                if address is None:
                    outcome.unopened += 1
                    continue
                if outcome.update is None:
                    outcome.update, _created = Update.objects.get_or_create(
                        statement=statement,
                        subject=subject,
                        body_sha256=body_sha256,
                        defaults={"sent_by": ",".join(identities.public_keys)},
                    )
                _deliver(outcome, signature, address, subject, body)
                del address
            progress(f"{outcome.sent} of {outcome.recipients} sent" + _unsent_note(outcome))
    except (smtplib.SMTPException, OSError) as error:
        _record(statement, outcome, identities, finished=False)
        raise UpdateInterruptedError(outcome, type(error).__name__) from None
    finally:
        close_mail_connection()
    if outcome.unopened == outcome.recipients:
        raise DomainError(
            "identity_opens_nothing",
            _("This identity opens none of the %(count)s signers' records: it is not a key they are sealed to.")
            % {"count": outcome.recipients},
        )
    _record(statement, outcome, identities, finished=True)
    return outcome


def _address(signature: Signature, identities: TrusteeIdentities) -> str | None:
    plain = identities.open(bytes(signature.sealed_contact))
    if plain is None:
        return None
    try:
        address = json.loads(plain).get("email")
    except (ValueError, AttributeError):
        return None
    return address.strip() if isinstance(address, str) and address.strip() else None


def _deliver(outcome: UpdateOutcome, signature: Signature, address: str, subject: str, body: str) -> None:
    if outcome.update is None:
        raise RuntimeError("an update is recorded before its first delivery")
    ref = SignatureRef(signature_id=signature.pk, statement_id=signature.statement_id)
    message = build(
        "signature_update",
        address,
        {
            "update_subject": subject,
            "update_body": body,
            "statement_title": signature.revision.title,
            "withdraw_url": settings.SITE_URL + reverse("signatures:withdraw", args=[withdraw_token(ref)]),
            "data_url": _data_url(address),
            "data_hours": DATA_LINK_HOURS,
        },
        signature.language,
    )
    until = _claim(outcome, outcome.update, signature)
    if until is None:
        return
    try:
        send_mail_now(message)  # no transaction open: the claim has committed
    except smtplib.SMTPRecipientsRefused:
        _release(outcome.update, signature, until)
        outcome.refused += 1  # this address only; the next message may go, and the next run tries it again
        return
    except BaseException:
        _release(outcome.update, signature, until)  # not handed over: the next run tries this signer again
        raise
    UpdateDelivery.objects.filter(update=outcome.update, signature=signature, claimed_until=until).update(
        claimed_until=None, sent_at=timezone.now()
    )
    outcome.sent += 1


def _claim(outcome: UpdateOutcome, update: Update, signature: Signature) -> datetime | None:
    """Holds ``signature`` for this run for ``mail_lease()``; None (counted in ``outcome``) when it no
    longer wants the update or another run has it."""
    now = timezone.now()
    until = now + mail_lease()
    with transaction.atomic():
        # Read again, locked: a signer who withdrew, erased their data or was purged since this
        # batch was read gets nothing.
        still_wanted = (
            Signature.objects.select_for_update()
            .filter(pk=signature.pk, status=Signature.Status.CONFIRMED, wants_updates=True)
            .exclude(sealed_contact=b"")
            .exists()
        )
        if not still_wanted:
            outcome.opted_out += 1
            return None
        try:
            # A concurrent run inserting the same row waits on this one (PostgreSQL) or on the
            # database (SQLite) until it commits, then finds it.
            with transaction.atomic():
                UpdateDelivery.objects.create(update=update, signature=signature, sent_at=now, claimed_until=until)
        except IntegrityError:
            # Sent, or being sent by another run; only a claim whose lease ran out (its run was
            # killed mid-send) is taken over.
            stale = UpdateDelivery.objects.filter(update=update, signature=signature, claimed_until__lte=now)
            if not stale.update(sent_at=now, claimed_until=until):
                outcome.sent_before += 1
                return None
    return until


def _release(update: Update, signature: Signature, until: datetime) -> None:
    """The message did not go: the claim goes, so the next run tries this signer again."""
    UpdateDelivery.objects.filter(update=update, signature=signature, claimed_until=until).delete()


def _data_url(address: str) -> str:
    """The signer's data page (stop updates there, or see and erase what is held): a link that
    carries keyed hashes only, made from the address opened in memory for this message."""
    return settings.SITE_URL + reverse("privacy:records", args=[data_link_token(PersonRef.of_address(address))])


def _unsent_note(outcome: UpdateOutcome) -> str:
    notes = []
    if outcome.unopened:
        notes.append(f"{outcome.unopened} not opened by this identity")
    if outcome.refused:
        notes.append(f"{outcome.refused} refused by the mail server")
    if outcome.sent_before:
        notes.append(f"{outcome.sent_before} sent by another run")
    if outcome.opted_out:
        notes.append(f"{outcome.opted_out} no longer wanted it")
    return "".join(f", {note}" for note in notes)


def _record(statement: Statement, outcome: UpdateOutcome, identities: TrusteeIdentities, *, finished: bool) -> None:
    """The run's audit event: counts only."""
    if outcome.update is None:
        return
    audit.record(
        actor=None,
        action="signatures.update_sent" if finished else "signatures.update_interrupted",
        subject=statement,
        detail={
            "update": outcome.update.pk,
            "recipients": outcome.recipients,
            "sent": outcome.sent,
            "unopened": outcome.unopened,
            "refused": outcome.refused,
            "sent_before": outcome.sent_before,
            "opted_out": outcome.opted_out,
            "opened_with": list(identities.public_keys),
        },
    )
