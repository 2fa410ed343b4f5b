"""What the server holds about one person, and when each statement's personal data is due to go.

A statement *closes* when it stops taking signatures: at its closing date (``closes_at``), or
when an editor closes or withdraws it, whichever comes first. The moment an editor did so is the
audit event of that change (written in the same transaction as the status), so it needs no
column of its own. Its signers' and contacts' personal data is deleted ``retention_days`` after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.actions.models import SolidarityAction
from undersigned.core.caching import cached
from undersigned.core.models import AuditEvent
from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.privacy.tokens import PersonRef
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement
from undersigned.statements.presentation import long_date

# The prefix of the stand-in that replaces an erased record's address hash. Real hashes are
# hexadecimal, so a stand-in can never be mistaken for one, nor found by a person's link.
ERASED_PREFIX = "erased:"
_STOPPING_ACTIONS = ("statement.closed", "statement.withdrawn")


# --- When a statement closes, and when its personal data goes ------------------------------------


def stopped_by_hand_at(statement: Statement) -> datetime | None:
    """When an editor closed or withdrew the statement: the first such change since it was last
    reopened. None if no one did (or it is open again)."""
    # In the order they were written (ids), which two changes in the same instant still have.
    events = AuditEvent.objects.filter(subject_type="statement", subject_id=statement.pk)
    reopened = events.filter(action="statement.reopened").order_by("-pk").values_list("pk", flat=True).first()
    stopping = events.filter(action__in=_STOPPING_ACTIONS)
    if reopened is not None:
        stopping = stopping.filter(pk__gt=reopened)
    return stopping.order_by("pk").values_list("created_at", flat=True).first()


def closing_time(statement: Statement) -> datetime | None:
    """When the statement stopped, or will stop, taking signatures; None while it has no end."""
    if statement.status == Statement.Status.DRAFT:
        return None
    if statement.status in (Statement.Status.CLOSED, Statement.Status.WITHDRAWN):
        moments = [moment for moment in (statement.closes_at, stopped_by_hand_at(statement)) if moment is not None]
        return min(moments) if moments else None
    return statement.closes_at


def retention_deadline(statement: Statement) -> datetime | None:
    """When the statement's personal data is due to be deleted; None while it has no closing time."""
    closed = closing_time(statement)
    return None if closed is None else closed + timedelta(days=statement.retention_days)


def _cached_closing_time(statement: Statement) -> datetime | None:
    """``closing_time`` kept a minute in the shared cache: the statement page reads it on every
    view. The key holds everything it depends on but a reopening, so a change shows at once."""
    closes = statement.closes_at.timestamp() if statement.closes_at else 0
    key = f"privacy:closing:{statement.pk}:{statement.status}:{closes}"
    stamp = cached(key, 60, lambda: moment.timestamp() if (moment := closing_time(statement)) else 0.0)
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


@dataclass(frozen=True)
class RetentionNotice:
    """The line a statement's public page shows about its signers' personal data."""

    days: int
    deleted_on: str  # the deadline as a long date in the reader's language; "" while unknown
    purged: bool  # the data is already deleted


def retention_notice(statement: Statement, language: str) -> RetentionNotice:
    """Costs no query while the statement is open: only a closed one looks up when it closed."""
    if statement.status in (Statement.Status.CLOSED, Statement.Status.WITHDRAWN):
        closed = _cached_closing_time(statement)
    else:
        closed = closing_time(statement)
    deadline = None if closed is None else closed + timedelta(days=statement.retention_days)
    purged = statement.personal_data_purged_at is not None and (
        deadline is not None and statement.personal_data_purged_at >= deadline
    )
    deleted_on = long_date(timezone.localtime(deadline).date(), language) if deadline else ""
    return RetentionNotice(days=statement.retention_days, deleted_on=deleted_on, purged=purged)


@dataclass(frozen=True)
class DuePurge:
    statement: Statement
    deadline: datetime


def statements_due_for_purge(*, now: datetime) -> list[DuePurge]:
    """Statements past their retention deadline whose data has not been deleted since."""
    candidates = (
        Statement.objects.exclude(status=Statement.Status.DRAFT)
        .filter(
            Q(status__in=[Statement.Status.CLOSED, Statement.Status.WITHDRAWN])
            | Q(closes_at__isnull=False, closes_at__lte=now)
        )
        .order_by("pk")
    )
    due = []
    for statement in candidates:
        deadline = retention_deadline(statement)
        if deadline is None or deadline > now:
            continue
        if statement.personal_data_purged_at is not None and statement.personal_data_purged_at >= deadline:
            continue
        due.append(DuePurge(statement=statement, deadline=deadline))
    return due


@dataclass(frozen=True)
class PersonalRecords:
    """How many records of a statement still hold personal data."""

    signatures: int
    sign_ons: int
    # Reports of actions by organisations that are not members, whose contacts are sealed.
    actions: int = 0

    @property
    def total(self) -> int:
        return self.signatures + self.sign_ons + self.actions


def personal_records_of(statement: Statement) -> PersonalRecords:
    return PersonalRecords(
        signatures=Signature.objects.filter(statement=statement).exclude(email_hash__startswith=ERASED_PREFIX).count(),
        sign_ons=SignOn.objects.filter(statement=statement)
        .exclude(contact_email_hash__startswith=ERASED_PREFIX)
        .count(),
        actions=SolidarityAction.objects.filter(statement=statement).exclude(contact_email_hash="").count(),
    )


# --- What the server holds about one person ------------------------------------------------------

WITHDRAWABLE = (
    Signature.Status.PENDING,
    Signature.Status.CONFIRMED,
    Signature.Status.HELD,
    Signature.Status.INVALIDATED,
)


@dataclass(frozen=True)
class HeldRecords:
    signatures: list[Signature]
    sign_ons: list[SignOn]
    contacts: list[OrganisationContact]
    # Signatures the person erased: only their keyed address hash is left, until each statement's
    # personal data is purged, so that the address cannot be counted twice.
    erased_signatures: list[Signature] = field(default_factory=list)
    # Actions they reported as the contact of an organisation that is not a member.
    actions: list[SolidarityAction] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.signatures or self.sign_ons or self.contacts or self.actions)


def records_held(ref: PersonRef) -> HeldRecords:
    """Every record found by the person's address hashes: their signatures, the sign-ons they are
    the contact of, and the directory organisations they are a contact of."""
    return HeldRecords(
        signatures=list(
            Signature.objects.filter(email_hash=ref.signer_hash, erased_at__isnull=True)
            .select_related("statement", "revision", "revision__text")
            .order_by("-created_at", "-pk")
        ),
        sign_ons=list(
            SignOn.objects.filter(contact_email_hash=ref.contact_hash)
            .select_related("statement", "revision", "revision__text")
            .order_by("-created_at", "-pk")
        ),
        contacts=list(
            OrganisationContact.objects.filter(email_hash=ref.contact_hash)
            .select_related("organisation")
            .order_by("organisation__normalised_name", "pk")
        ),
        erased_signatures=list(
            Signature.objects.filter(email_hash=ref.signer_hash, erased_at__isnull=False)
            .select_related("statement", "revision")
            .order_by("-created_at", "-pk")
        ),
        actions=list(
            SolidarityAction.objects.filter(contact_email_hash=ref.contact_hash)
            .select_related("statement")
            .order_by("-created_at", "-pk")
        ),
    )


def has_records(ref: PersonRef) -> bool:
    return (
        Signature.objects.filter(email_hash=ref.signer_hash).exists()
        or SignOn.objects.filter(contact_email_hash=ref.contact_hash).exists()
        or OrganisationContact.objects.filter(email_hash=ref.contact_hash).exists()
        or SolidarityAction.objects.filter(contact_email_hash=ref.contact_hash).exists()
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def records_as_data(records: HeldRecords) -> dict[str, Any]:
    """The JSON download: everything the server holds in the clear, and which records are sealed.

    Field names stay in English whatever the page's language, so the file means the same to any
    program that reads it.
    """
    return {
        "about": _(
            "Your name, email address, city and affiliation (for an organisation's contact: name, role "
            "and address) are sealed, on arrival, to the public keys of the issuing body's trustees. "
            "This server cannot read them; only the trustees can, with private keys that never touch it."
        ),
        "signatures": [
            {
                "receipt": signature.public_id,
                "statement": signature.statement.slug,
                "statement_title": signature.revision.title,
                "text_language": signature.revision.text.language,
                "revision": signature.revision.number,
                "status": signature.status,
                "country": str(signature.country),
                "name_shown": signature.name_shown,
                "display_name": signature.display_name,
                "wants_updates": signature.wants_updates,
                "language": signature.language,
                "signed_at": _iso(signature.created_at),
                "confirmed_at": _iso(signature.confirmed_at),
                "withdrawn_at": _iso(signature.withdrawn_at),
                "email_fingerprint": signature.email_hash,
                "network_fingerprint": signature.network_hash,
                "fraud_signals": list(signature.signals or []),
                "sealed_contact_bytes": len(bytes(signature.sealed_contact)),
            }
            for signature in records.signatures
        ],
        "organisation_sign_ons": [
            {
                "receipt": sign_on.public_id,
                "statement": sign_on.statement.slug,
                "statement_title": sign_on.revision.title,
                "organisation": sign_on.name,
                "country": str(sign_on.country),
                "website": sign_on.website,
                "status": sign_on.status,
                "language": sign_on.language,
                "signed_on_at": _iso(sign_on.created_at),
                "confirmed_at": _iso(sign_on.confirmed_at),
                "decided_at": _iso(sign_on.decided_at),
                "withdrawn_at": _iso(sign_on.withdrawn_at),
                "contact_fingerprint": sign_on.contact_email_hash,
                "network_fingerprint": sign_on.network_hash,
                "sealed_contact_bytes": len(bytes(sign_on.sealed_contact)),
                "address_kept_for_the_review_notice": bool(sign_on.notice_address),
            }
            for sign_on in records.sign_ons
        ],
        "reported_actions": [
            {
                "statement": action.statement.slug,
                "organisation": action.organisation_name,
                "organisation_website": action.organisation_website,
                "kind": action.kind,
                "date": action.date.isoformat(),
                "city": action.city,
                "country": str(action.country),
                "description": action.description,
                "link": action.link,
                "participants": action.participants,
                "has_photo": action.photo_id is not None,
                "status": action.status,
                "language": action.language,
                "reported_at": _iso(action.created_at),
                "confirmed_at": _iso(action.confirmed_at),
                "reviewed_at": _iso(action.reviewed_at),
                "withdrawn_at": _iso(action.withdrawn_at),
                "contact_fingerprint": action.contact_email_hash,
                "network_fingerprint": action.network_hash,
                "sealed_contact_bytes": len(bytes(action.sealed_contact)),
                "address_kept_for_the_review_notice": bool(action.notice_address),
            }
            for action in records.actions
        ],
        "erased_signatures": [
            {
                "statement": signature.statement.slug,
                "status": signature.status,
                "country": str(signature.country),
                "signed_at": _iso(signature.created_at),
                "erased_at": _iso(signature.erased_at),
                "email_fingerprint": signature.email_hash,
                "kept_until": _iso(retention_deadline(signature.statement)),
            }
            for signature in records.erased_signatures
        ],
        "directory_contacts": [
            {
                "organisation": contact.organisation.name,
                "country": str(contact.organisation.country),
                "verified_at": _iso(contact.verified_at),
                "added_at": _iso(contact.created_at),
                "contact_fingerprint": contact.email_hash,
                "sealed_contact_bytes": len(bytes(contact.sealed_contact)),
            }
            for contact in records.contacts
        ],
    }
