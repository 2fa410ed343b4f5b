"""What the server holds about one person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.privacy.tokens import PersonRef
from undersigned.signatures.models import Signature

# The prefix of the stand-in that replaces an erased record's address hash. Real hashes are
# hexadecimal, so a stand-in can never be mistaken for one, nor found by a person's link.
ERASED_PREFIX = "erased:"


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

    @property
    def is_empty(self) -> bool:
        return not (self.signatures or self.sign_ons or self.contacts)


def records_held(ref: PersonRef) -> HeldRecords:
    """Every record found by the person's address hashes: their signatures, the sign-ons they are
    the contact of, and the directory organisations they are a contact of."""
    return HeldRecords(
        signatures=list(
            Signature.objects.filter(email_hash=ref.signer_hash)
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
    )


def has_records(ref: PersonRef) -> bool:
    return (
        Signature.objects.filter(email_hash=ref.signer_hash).exists()
        or SignOn.objects.filter(contact_email_hash=ref.contact_hash).exists()
        or OrganisationContact.objects.filter(email_hash=ref.contact_hash).exists()
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
