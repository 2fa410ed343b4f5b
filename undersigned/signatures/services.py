"""Signing, confirming and withdrawing, and moderators' invalidating and restoring.

Guarantees: a signature counts once it is confirmed, exactly once, whatever the number of
concurrent confirmations (the status changes by a conditional UPDATE and only the request that
changed it adds to the tally, in the same transaction). The pages never tell whether an address
had signed before. Contact data is sealed before it is stored; only trustees can open it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from undersigned.accounts.models import User
from undersigned.core import audit, ratelimit
from undersigned.core.addresses import InvalidAddressError, normalise_email
from undersigned.core.bot_check import TOO_FAST, FormTimer
from undersigned.core.crypto import seal
from undersigned.core.exceptions import DomainError
from undersigned.core.metrics import SIGNATURES_ACCEPTED
from undersigned.core.plain_text import first_name_and_initial, has_control_characters, name_refusal, squeezed
from undersigned.ledger.services import record_event
from undersigned.notifications.emails import build
from undersigned.notifications.services import mail_enqueue, mailed_just_now, recipient_check, too_many_mails
from undersigned.permissions.roles import can_moderate_statement
from undersigned.privacy.rehash import rehash_address
from undersigned.sealing.selectors import SealingKeys, sealing_key_set_for
from undersigned.signatures import fraud, proof_of_work
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.surge import SURGE_RULE, surge_observe
from undersigned.signatures.tallies import tally_change
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token
from undersigned.statements.models import Revision, Statement
from undersigned.statements.selectors import published_revision_of

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


# The longest each field may be, as the sign form says too.
NAME_LENGTH, CITY_LENGTH, AFFILIATION_LENGTH, EMAIL_LENGTH = 200, 100, 200, 254


def _checked_signer(signer: SignerInput) -> SignerInput:
    """The signer's fields as they will be stored, or ``DomainError("invalid_field")`` naming the
    field: the form checks the same, but an API or an embed reaches this without it."""

    def refuse(field: str, message: str) -> DomainError:
        return DomainError("invalid_field", message, detail={"field": field})

    name, city, affiliation = squeezed(signer.name), squeezed(signer.city), squeezed(signer.affiliation)
    if not name:
        raise refuse("name", _("Enter your name."))
    refusal = name_refusal(name)
    if refusal is not None:
        raise refuse("name", refusal)
    for field, value, longest in (
        ("name", name, NAME_LENGTH),
        ("city", city, CITY_LENGTH),
        ("affiliation", affiliation, AFFILIATION_LENGTH),
    ):
        if len(value) > longest:
            raise refuse(
                field,
                ngettext(
                    "Keep this field under %(count)s character.", "Keep this field under %(count)s characters.", longest
                )
                % {"count": longest},
            )
        if has_control_characters(value):
            raise refuse(field, _("Remove the invisible control characters from this field."))
    email = signer.email.strip()
    try:
        if len(email) > EMAIL_LENGTH:
            raise InvalidAddressError
        normalise_email(email)
    except InvalidAddressError:
        raise refuse("email", _("Enter a complete email address, like name@example.org.")) from None
    if signer.country not in countries:
        raise refuse("country", _("Choose your country from the list."))
    if signer.name_shown not in Signature.NameShown.values:
        raise refuse("name_shown", _("Choose how your name is shown."))
    return replace(signer, name=name, email=email, city=city, affiliation=affiliation)


def display_name_for(name: str, shown: str) -> str:
    """The name exactly as the signer chose to show it: whole, first name and initial, or nothing."""
    name = " ".join(name.split())
    if shown == Signature.NameShown.HIDDEN:
        return ""
    if shown == Signature.NameShown.INITIAL:
        return first_name_and_initial(name)
    return name


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


# The rate limits a signature counts against (``core.ratelimit.RULES``): its network on this
# statement, its network anywhere, its address on this statement.
SIGN_RULES = ("sign.network.statement", "sign.network", "sign.address.statement")

# The sign form's timer: its salt is the one sign forms have always carried.
SIGN_FORM_TIMER = FormTimer(salt="undersigned.signatures.form-started")


def signing_refusal(*, statement: Statement, started: str, honeypot: str) -> DomainError | None:
    """The first rules of signing, which need none of the signer's fields: the statement takes
    signatures, and a person, not a script, filled in the form. ``signature_submit`` applies them
    first; a page whose form came back with mistakes asks them too, so that a closed statement
    or a too-fast form is answered as such whatever else is wrong."""
    if not statement.takes_signatures():
        return DomainError("not_open", _("This statement does not take signatures now."), status=410)
    return SIGN_FORM_TIMER.refusal(started=started, honeypot=honeypot)


def signature_submit(
    *,
    statement: Statement,
    revision_id: int,
    signer: SignerInput,
    started: str,
    honeypot: str,
    proof_of_work_answer: str,
    network_hash: str,
    network_country: str | None,
    language: str,
) -> None:
    """Every rule of signing, for every way in (the form, the API, an embed), from plain values:
    the statement takes signatures, a person filled in the form, the fields can be stored, the
    revision shown is one of this statement's, the proof of work is solved where the statement
    asks for it, and none of the three rate limits is reached. Raises ``DomainError`` with a stable code for the first
    rule broken; else stores the signature as ``signature_record`` does. Returns nothing: the
    caller must answer every accepted request with the same page."""
    refusal = signing_refusal(statement=statement, started=started, honeypot=honeypot)
    if refusal is not None:
        raise refusal
    signer = _checked_signer(signer)
    revision = published_revision_of(statement=statement, revision_id=revision_id)
    if revision is None:
        raise DomainError(
            "wrong_revision", _("This form belongs to another statement. Reload the page and sign again.")
        )
    solved = bool(proof_of_work_answer) and proof_of_work.verify(proof_of_work_answer)
    if statement.needs_proof_of_work() and not solved:
        if statement.proof_of_work_surge_until is not None:
            # Refused requests are the surge too: counted, they keep it on while a flood goes on.
            observed = ratelimit.count_hits((), observed=(SURGE_RULE, str(statement.pk))).observed
            if observed is not None:
                surge_observe(statement=statement, requests_in_window=observed)
        raise DomainError(
            "proof_of_work_required",
            _(
                "This statement asks your browser to solve a small puzzle before signing. "
                "Turn on JavaScript and wait for the check to finish."
            ),
        )
    network, address = network_hash[:32], email_hash(signer.email)[:32]
    per_statement, site_wide, per_address = SIGN_RULES
    hits = ratelimit.count_hits(
        (
            (per_statement, f"{network}:{statement.pk}"),
            (site_wide, network),
            (per_address, f"{address}:{statement.pk}"),
            # One drawn form carries a few signatures from one network, not a script's thousands.
            ("sign.form_token", f"{started}:{network}"),
            recipient_check(signer.email),
        ),
        observed=(SURGE_RULE, str(statement.pk)),
    )
    if hits.observed is not None:
        surge_observe(statement=statement, requests_in_window=hits.observed)
    if hits.refused_by == ("mail.recipient.daily",):
        raise too_many_mails()
    if "sign.form_token" in hits.refused_by and len(hits.refused_by) == 1:
        raise DomainError(
            TOO_FAST, _("This form was already used to sign several times. Check your details and send it again.")
        )
    if hits.refused_by:
        raise DomainError(
            "too_many",
            _(
                "We received many signatures from your network or for your address in a short time. "
                "Please wait a few minutes and try again."
            ),
            status=429,
        )
    signature_record(
        statement=statement,
        revision=revision,
        signer=signer,
        network_hash=network_hash,
        language=language,
        proof_of_work=solved,
        network_country=network_country,
    )


def signature_record(
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
    confirmation again (at most a few times).

    Precondition: ``signature_submit``'s rules hold (it is the way in for people; this step is
    also for tests and tools that build signatures in bulk)."""
    keys = sealing_key_set_for(statement.commission_id)
    if not keys.public_keys:
        logger.error("statement %s takes signatures but its issuing body has no trustee", statement.pk)
        raise DomainError("no_trustee", _("Signatures cannot be stored safely right now."), status=503)
    rehash_address(signer.email)  # after a rotation of DATA_KEYS: the same address is one signature
    hashed = email_hash(signer.email)
    sealed = _seal_contact(statement, signer, keys)
    key = fraud.name_key(signer.name)
    signals = fraud.signals_at_signing(
        statement_id=statement.pk,
        email=signer.email,
        network_hash=network_hash,
        name_key=key,
        # Only a statement that asks for the proof of work offers it (the form carries the widget
        # only then), so elsewhere its absence says nothing about the signer.
        proof_of_work=proof_of_work or not statement.needs_proof_of_work(),
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
            signature = Signature.objects.create(
                statement=statement, email_hash=hashed, mails_sent=1, mailed_at=timezone.now(), **fields
            )
            _mail(signature, statement, revision, signer.email, "signature_confirm")
            transaction.on_commit(SIGNATURES_ACCEPTED.labels(statement=statement.slug).inc)
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
            signature.mailed_at = timezone.now()
            signature.erased_at = None  # what is stored now is theirs to see and erase again
            signature.created_at = timezone.now()
            signature.save()
            _mail(signature, statement, revision, signer.email, "signature_confirm")
            transaction.on_commit(SIGNATURES_ACCEPTED.labels(statement=statement.slug).inc)
        elif signature.mails_sent < MAX_MAILS_PER_SIGNATURE and not mailed_just_now(signature.mailed_at):
            template = {
                Signature.Status.PENDING: "signature_confirm",
                Signature.Status.CONFIRMED: "signature_already_confirmed",
            }.get(Signature.Status(signature.status), "signature_not_counted")  # held or invalidated
            _mail(signature, statement, signature.revision, signer.email, template)
            Signature.objects.filter(pk=signature.pk).update(mails_sent=F("mails_sent") + 1, mailed_at=timezone.now())
        else:
            # No more mail for this address, or one went out a moment ago; the message is still
            # built, so that this answer takes about as long as the others and does not tell that
            # the address has signed.
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
