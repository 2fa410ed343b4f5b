"""Signing, confirming and withdrawing, and the trustees whose keys seal signers' contact data.

Guarantees: a signature counts once it is confirmed, exactly once, whatever the number of
concurrent confirmations (the status changes by a conditional UPDATE and only the request that
changed it adds to the tally, in the same transaction). The pages never tell whether an address
had signed before. Contact data is sealed before it is stored; only trustees can open it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission
from undersigned.core import audit
from undersigned.core.crypto import SealingError, parse_recipient, seal
from undersigned.core.exceptions import DomainError
from undersigned.ledger.services import record_event
from undersigned.notifications.emails import build
from undersigned.notifications.services import mail_enqueue
from undersigned.permissions.roles import can_moderate_statement
from undersigned.signatures import fraud
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import SEALED_TO_LENGTH, Signature, Trustee
from undersigned.signatures.tallies import tally_change
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token
from undersigned.statements.models import Revision, Statement

logger = logging.getLogger(__name__)
MAX_MAILS_PER_SIGNATURE = 3


@dataclass(frozen=True)
class SignerInput:
    name: str
    email: str
    country: str
    city: str = ""
    affiliation: str = ""
    name_shown: str = Signature.NameShown.FULL
    wants_updates: bool = False


def display_name_for(name: str, shown: str) -> str:
    """The name exactly as the signer chose to show it: whole, first name and initial, or nothing."""
    name = " ".join(name.split())
    if shown == Signature.NameShown.HIDDEN:
        return ""
    if shown == Signature.NameShown.INITIAL:
        parts = name.split(" ")
        return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."
    return name


# --- Trustees -----------------------------------------------------------------------------------


def trustees_for(commission_id: int | None) -> list[Trustee]:
    """The active trustees of an issuing body; ``None`` is the federation as a whole."""
    trustees = Trustee.objects.filter(is_active=True).order_by("pk")
    if commission_id is None:
        return list(trustees.filter(commission__isnull=True))
    return list(trustees.filter(commission_id=commission_id))


@dataclass(frozen=True)
class SealingKeys:
    """The public keys of an issuing body's active trustees, and the fingerprint of that set, which
    every record sealed to them keeps in its ``sealed_to``."""

    public_keys: tuple[str, ...]
    fingerprint: str


def key_set_fingerprint(public_keys: Iterable[str]) -> str:
    """Names a set of public keys: the same keys in any order give the same fingerprint, and any
    key added or removed gives another. Hex of SHA-256 over the sorted keys, shortened."""
    joined = "\n".join(sorted({key.strip() for key in public_keys}))
    return hashlib.sha256(joined.encode("ascii")).hexdigest()[:SEALED_TO_LENGTH]


def current_sealing_keys(commission_id: int | None) -> SealingKeys:
    """Read from the database now; ``sealing_key_set_for`` is the cached reading for the hot path."""
    keys = tuple(trustee.public_key for trustee in trustees_for(commission_id))
    return SealingKeys(public_keys=keys, fingerprint=key_set_fingerprint(keys))


# The keys contact data is sealed to, per issuing body, as each process last read them: a busy
# sign form reads them (and hashes them into their fingerprint) once every few seconds instead of
# once per signature. A trustee added or removed here is seen at once by this process and within
# that time by the others; what they seal meanwhile names the old set in ``sealed_to``, so
# ``manage.py reseal`` finds it.
TRUSTEE_KEYS_SECONDS = 5.0
_trustee_keys: dict[int | None, tuple[float, SealingKeys]] = {}


def sealing_key_set_for(commission_id: int | None) -> SealingKeys:
    cached = _trustee_keys.get(commission_id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < TRUSTEE_KEYS_SECONDS:
        return cached[1]
    keys = current_sealing_keys(commission_id)
    _trustee_keys[commission_id] = (now, keys)
    return keys


def sealing_keys_for(commission_id: int | None) -> list[str]:
    return list(sealing_key_set_for(commission_id).public_keys)


def forget_sealing_keys() -> None:
    _trustee_keys.clear()


def trustee_add(*, actor: User | None, commission: Commission | None, name: str, public_key: str) -> Trustee:
    """Register a trustee's public key (``age1…``). ``actor`` None means the operator's command line."""
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat registers trustees."), status=403)
    name, public_key = name.strip(), public_key.strip()
    if not name or len(name) > 200:
        raise DomainError("name_required", _("Give the trustee's name (at most 200 characters)."))
    try:
        parse_recipient(public_key)
    except SealingError:
        raise DomainError("invalid_key", _("This is not an age public key (it starts with age1).")) from None
    try:
        with transaction.atomic():
            trustee = Trustee.objects.create(commission=commission, name=name, public_key=public_key)
            transaction.on_commit(forget_sealing_keys)
            audit.record(actor=actor, action="trustee.added", subject=trustee, detail={"public_key": public_key})
    except IntegrityError:
        raise DomainError("key_taken", _("This public key is already registered for this issuing body.")) from None
    return trustee


def trustee_remove(*, actor: User | None, trustee: Trustee) -> Trustee:
    """Take a trustee's key out of the set new contact data is sealed to (the row stays, inactive,
    for the record). What was sealed before still opens with the key until ``manage.py reseal``
    re-seals it to the remaining trustees. The last trustee of a body is never removed: nothing
    could be sealed to no one, and the body's statements would stop taking signatures."""
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat removes trustees."), status=403)
    with transaction.atomic():
        body = Q(commission__isnull=True) if trustee.commission_id is None else Q(commission_id=trustee.commission_id)
        # Locked, so two removals at once cannot leave the body with no trustee.
        active = list(Trustee.objects.select_for_update().filter(body, is_active=True).order_by("pk"))
        if trustee.pk not in {other.pk for other in active}:
            raise DomainError("not_active", _("This trustee was removed already."))
        if len(active) == 1:
            raise DomainError(
                "last_trustee", _("This is the issuing body's only trustee. Add another trustee first."), status=409
            )
        Trustee.objects.filter(pk=trustee.pk).update(is_active=False)
        trustee.is_active = False
        transaction.on_commit(forget_sealing_keys)
        audit.record(actor=actor, action="trustee.removed", subject=trustee, detail={"public_key": trustee.public_key})
    return trustee


# --- Signing ------------------------------------------------------------------------------------


def _seal_contact(statement: Statement, signer: SignerInput, keys: SealingKeys) -> bytes:
    record = {
        "statement": statement.slug,
        "name": signer.name,
        "email": signer.email.strip(),
        "city": signer.city,
        "affiliation": signer.affiliation,
        "country": signer.country,
        "wants_updates": signer.wants_updates,
        "signed_at": timezone.now().isoformat(),
    }
    return seal(json.dumps(record, ensure_ascii=False).encode("utf-8"), keys.public_keys)


def _mail(signature: Signature, statement: Statement, revision: Revision, to: str, name: str) -> None:
    ref = SignatureRef(signature_id=signature.pk, statement_id=statement.pk)
    mail_enqueue(
        name=name,
        to=to,
        language=signature.language,
        context={
            "statement_title": revision.title,
            "statement_url": settings.SITE_URL + reverse("statements:read", args=[statement.slug]),
            "confirm_url": settings.SITE_URL + reverse("signatures:confirm", args=[confirm_token(ref)]),
            "withdraw_url": settings.SITE_URL + reverse("signatures:withdraw", args=[withdraw_token(ref)]),
            "receipt": signature.public_id,
        },
    )


def signature_submit(
    *,
    statement: Statement,
    revision: Revision,
    signer: SignerInput,
    network_hash: str,
    language: str,
    proof_of_work: bool,
    network_country: str | None = None,
) -> None:
    """Store a pending signature and send its confirmation; or, for a known address, send the
    confirmation again (at most a few times). Returns nothing: the caller must answer every case
    with the same page."""
    if not statement.takes_signatures():
        raise DomainError("not_open", _("This statement does not take signatures now."), status=410)
    if revision.text.statement_id != statement.pk:
        raise DomainError("wrong_revision", _("This form belongs to another statement. Reload the page."))
    keys = sealing_key_set_for(statement.commission_id)
    if not keys.public_keys:
        logger.error("statement %s takes signatures but its issuing body has no trustee", statement.pk)
        raise DomainError("no_trustee", _("Signatures cannot be stored safely right now."), status=503)
    hashed = email_hash(signer.email)
    sealed = _seal_contact(statement, signer, keys)
    key = fraud.name_key(signer.name)
    signals = fraud.signals_at_signing(
        statement_id=statement.pk,
        email=signer.email,
        network_hash=network_hash,
        name_key=key,
        proof_of_work=proof_of_work,
        country=signer.country,
        network_country=network_country,
    )
    fields = {
        "revision": revision,
        "country": signer.country,
        "name_shown": signer.name_shown,
        "display_name": display_name_for(signer.name, signer.name_shown),
        "wants_updates": signer.wants_updates,
        "sealed_contact": sealed,
        "sealed_to": keys.fingerprint,
        "network_hash": network_hash,
        "proof_of_work": proof_of_work,
        "language": language,
        "signals": signals,
        "score": fraud.score_of(signals),
        "name_key": key,
    }
    try:
        # The insert comes first in its transaction, so a duplicate address rolls back nothing else
        # and needs no savepoint.
        with transaction.atomic():
            signature = Signature.objects.create(statement=statement, email_hash=hashed, mails_sent=1, **fields)
            _mail(signature, statement, revision, signer.email, "signature_confirm")
        return
    except IntegrityError:
        pass  # the address has signed before: same answer, another email
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(statement=statement, email_hash=hashed)
        if signature.status == Signature.Status.WITHDRAWN:
            # Signing again after withdrawing starts afresh.
            for field, value in fields.items():
                setattr(signature, field, value)
            signature.status, signature.mails_sent, signature.withdrawn_at = Signature.Status.PENDING, 1, None
            signature.erased_at = None  # what is stored now is theirs to see and erase again
            signature.created_at = timezone.now()
            signature.save()
            _mail(signature, statement, revision, signer.email, "signature_confirm")
        elif signature.mails_sent < MAX_MAILS_PER_SIGNATURE:
            template = {
                Signature.Status.PENDING: "signature_confirm",
                Signature.Status.CONFIRMED: "signature_already_confirmed",
            }.get(Signature.Status(signature.status), "signature_not_counted")  # held or invalidated
            _mail(signature, statement, signature.revision, signer.email, template)
            Signature.objects.filter(pk=signature.pk).update(mails_sent=F("mails_sent") + 1)
        else:
            # No more mail for this address; the message is still built, so that this answer takes
            # about as long as the others and does not tell that the address has signed.
            build("signature_confirm", signer.email, {"statement_title": revision.title}, signature.language)


def signature_confirm(*, signature_id: int, statement_id: int) -> Signature:
    """Confirm once; confirming again changes nothing. Safe under any number of concurrent calls.

    A statement that has closed counts only what was confirmed before: its count is final.
    """
    signature = Signature.objects.select_related("statement").filter(pk=signature_id, statement_id=statement_id).first()
    if signature is None:
        raise DomainError("not_found", _("This signature no longer exists."), status=404)
    if signature.status == Signature.Status.PENDING and not signature.statement.takes_signatures():
        raise DomainError(
            "closed",
            _("This statement closed before your signature was confirmed, so it is not counted."),
            status=410,
        )
    with transaction.atomic():
        now = timezone.now()
        signals = fraud.signals_at_confirmation(list(signature.signals), signature.created_at, now)
        score = fraud.score_of(signals)
        held = score >= settings.FRAUD_HOLD_SCORE
        status = Signature.Status.HELD if held else Signature.Status.CONFIRMED
        country = _confirm_if_pending(
            signature_id=signature_id, statement_id=statement_id, now=now, status=status, signals=signals, score=score
        )
        if country is not None:
            if held:  # confirmed by its signer, but not counted until a moderator clears it
                record_event(
                    statement_id=statement_id, kind="signature.held", subject=signature.public_id, country=country
                )
            else:
                tally_change(statement_id=statement_id, country=country, delta=1)
                record_event(
                    statement_id=statement_id, kind="signature.confirmed", subject=signature.public_id, country=country
                )
            signature.status, signature.confirmed_at, signature.country = status, now, country
            signature.signals, signature.score = signals, score
            return signature
        # Not pending any more: confirmed before (or just now, by a concurrent request), or withdrawn.
        current = Signature.objects.filter(pk=signature_id, statement_id=statement_id).first()
        if current is None:
            raise DomainError("not_found", _("This signature no longer exists."), status=404)
        if current.status == Signature.Status.WITHDRAWN:
            raise DomainError("withdrawn", _("This signature was withdrawn. Sign again to be counted."), status=410)
        if current.status == Signature.Status.INVALIDATED:
            raise DomainError(
                "invalidated",
                _("This signature was set aside by the statement's moderators and is not counted."),
                status=410,
            )
    return current


def _confirm_if_pending(
    *, signature_id: int, statement_id: int, now: datetime, status: str, signals: list[str], score: int
) -> str | None:
    """Confirms (or holds) the signature if it is pending, in one statement; its country if it
    changed, else None.

    The conditional UPDATE is what makes confirming exactly-once: of concurrent requests, only one
    finds the row still pending. RETURNING gives the country the row had when it changed.
    """
    table = connection.ops.quote_name(Signature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, confirmed_at = %s, signals = %s, score = %s "  # noqa: S608  (quoted table name)
            "WHERE id = %s AND statement_id = %s AND status = %s RETURNING country",
            [
                status,
                connection.ops.adapt_datetimefield_value(now),
                json.dumps(signals),
                score,
                signature_id,
                statement_id,
                Signature.Status.PENDING,
            ],
        )
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def signature_withdraw(*, signature_id: int, statement_id: int) -> bool:
    """Remove the signature from the count and delete its sealed contact data. True if it changed."""
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .filter(pk=signature_id, statement_id=statement_id)
            .filter(
                Q(status=Signature.Status.PENDING)
                | Q(status=Signature.Status.CONFIRMED)
                | Q(status=Signature.Status.INVALIDATED)
                | Q(status=Signature.Status.HELD)
            )
            .first()
        )
        if signature is None:
            return False
        was_counted = signature.status == Signature.Status.CONFIRMED
        Signature.objects.filter(pk=signature.pk).update(
            status=Signature.Status.WITHDRAWN,
            sealed_contact=b"",
            display_name="",
            wants_updates=False,
            withdrawn_at=timezone.now(),
        )
        if was_counted:
            tally_change(statement_id=statement_id, country=str(signature.country), delta=-1)
            record_event(
                statement_id=statement_id,
                kind="signature.withdrawn",
                subject=signature.public_id,
                country=str(signature.country),
            )
    return True


# --- Moderation ---------------------------------------------------------------------------------

MAX_REASON_LENGTH = 200


@dataclass(frozen=True)
class ModerationOutcome:
    changed: int
    skipped: int


def _moderate(
    *, actor: User | None, statement: Statement, signature_ids: list[int], reason: str, invalidate: bool
) -> ModerationOutcome:
    """Invalidates (confirmed → invalidated) or restores (invalidated → confirmed) the chosen
    signatures of one statement in one transaction: each change moves the count, and is one
    ledger event and one audit event. Signatures in any other state are left as they are."""
    if actor is not None and not can_moderate_statement(actor, statement):
        raise DomainError("forbidden", _("You can moderate only the statements you manage."), status=403)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("reason_required", _("Give the reason: it is published on the transparency page."))
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError("reason_too_long", _("Keep the reason under 200 characters."))
    ids = sorted(set(signature_ids))
    if not ids:
        raise DomainError("nothing_chosen", _("Choose at least one signature."))
    # Invalidating takes a counted (confirmed) or a held signature; restoring clears an
    # invalidated or a held one. Only a change between counted and not counted moves the count.
    sources = (
        [Signature.Status.CONFIRMED, Signature.Status.HELD]
        if invalidate
        else [Signature.Status.INVALIDATED, Signature.Status.HELD]
    )
    target = Signature.Status.INVALIDATED if invalidate else Signature.Status.CONFIRMED
    changed = 0
    with transaction.atomic():
        rows = list(
            Signature.objects.select_for_update()
            .filter(pk__in=ids, statement=statement, status__in=sources)
            .order_by("pk")
            .values_list("pk", "public_id", "country", "status")
        )
        deltas: dict[str, int] = {}
        for pk, public_id, country, status in rows:
            Signature.objects.filter(pk=pk).update(status=target)
            if status == Signature.Status.HELD and invalidate:
                kind = "signature.dismissed"  # held, so never counted: the count does not move
            else:
                kind = "signature.invalidated" if invalidate else "signature.restored"
                deltas[str(country)] = deltas.get(str(country), 0) + (-1 if invalidate else +1)
            record_event(
                statement_id=statement.pk, kind=kind, subject=public_id, country=str(country), detail={"reason": reason}
            )
            audit.record(actor=actor, action=kind, subject=statement, detail={"signature": public_id, "reason": reason})
            changed += 1
        # One change per country, in country order: concurrent batches take the counters in the
        # same order (no deadlock) and hold them only for these last statements.
        for country, delta in sorted(deltas.items()):
            if delta:
                tally_change(statement_id=statement.pk, country=country, delta=delta)
    return ModerationOutcome(changed=changed, skipped=len(ids) - changed)


def signatures_invalidate(
    *, actor: User | None, statement: Statement, signature_ids: list[int], reason: str
) -> ModerationOutcome:
    return _moderate(actor=actor, statement=statement, signature_ids=signature_ids, reason=reason, invalidate=True)


def signatures_restore(
    *, actor: User | None, statement: Statement, signature_ids: list[int], reason: str
) -> ModerationOutcome:
    return _moderate(actor=actor, statement=statement, signature_ids=signature_ids, reason=reason, invalidate=False)
