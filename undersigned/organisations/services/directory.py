"""The member directory, kept by the secretariat: organisations, their types and their contacts.

A contact's name, role and address are sealed to trustees' keys before they are stored."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import audit
from undersigned.core.addresses import InvalidAddressError
from undersigned.core.crypto import seal
from undersigned.core.exceptions import DomainError
from undersigned.organisations.models import Logo, Organisation, OrganisationContact, OrganisationType, SignOn
from undersigned.organisations.services.names import (
    check_name,
    check_plain,
    contact_email_hash,
    normalise_organisation_name,
    website_domain,
)
from undersigned.privacy.rehash import rehash_address
from undersigned.sealing.selectors import sealing_key_set_for


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    short_name: str
    country: str
    type: OrganisationType
    website: str = ""
    description: str = ""
    is_member: bool = False
    member_since: date | None = None
    email_domains: tuple[str, ...] = ()
    logo: Logo | None = None
    remove_logo: bool = False


def _require_secretariat(actor: User | None) -> None:
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat keeps the directory."), status=403)


def clean_email_domains(domains: Iterable[str]) -> tuple[str, ...]:
    """Verified domains, lower-case ASCII, each once; raises for one that is not a domain name."""
    cleaned: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@").strip(".")
        if not domain:
            continue
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_domain = ""
        labels = ascii_domain.split(".")
        if len(labels) < 2 or not all(label and len(label) <= 63 for label in labels) or " " in ascii_domain:
            raise DomainError("bad_domain", _("“%(domain)s” is not an email domain.") % {"domain": raw.strip()})
        if ascii_domain not in cleaned:
            cleaned.append(ascii_domain)
    return tuple(cleaned)


def organisation_save(
    *, actor: User | None, organisation: Organisation | None, data: OrganisationInput
) -> Organisation:
    """Create (``organisation`` None) or update a directory entry. ``actor`` None: the command line."""
    _require_secretariat(actor)
    name = check_name(data.name, _("The name"))
    if not name:
        raise DomainError("name_required", _("Enter the organisation's name."))
    short_name = check_plain(data.short_name, _("The short name"))
    domains = clean_email_domains(data.email_domains)
    if data.member_since and not data.is_member:
        raise DomainError("not_member", _("Only a member organisation has a “member since” date."))
    creating = organisation is None
    target = organisation or Organisation()
    target.name, target.short_name = name, short_name
    target.normalised_name = normalise_organisation_name(name)
    target.country = data.country
    target.type = data.type
    target.website, target.website_domain = data.website, website_domain(data.website)
    target.description = data.description.strip()
    target.is_member, target.member_since = data.is_member, data.member_since if data.is_member else None
    target.email_domains = list(domains)
    if data.logo is not None:
        target.logo = data.logo
    elif data.remove_logo:
        target.logo = None
    with transaction.atomic():
        target.save()
        audit.record(
            actor=actor,
            action="organisation.created" if creating else "organisation.updated",
            subject=target,
            detail={"is_member": target.is_member},
        )
    return target


def organisation_type_add(*, actor: User | None, name: str) -> OrganisationType:
    _require_secretariat(actor)
    name = check_plain(name, _("The type"))
    if not name or len(name) > 80:
        raise DomainError("type_name", _("Give the type a name of at most 80 characters."))
    code = normalise_organisation_name(name).replace(" ", "-")[:40] or "type"
    if (
        OrganisationType.objects.filter(code=code).exists()
        or OrganisationType.objects.filter(name__iexact=name).exists()
    ):
        raise DomainError("type_exists", _("This type is already on the list."))
    return OrganisationType.objects.create(code=code, name=name, position=1000)


def seal_contact_record(record: dict[str, object], commission_id: int | None) -> tuple[bytes, str]:
    """The record sealed to the issuing body's trustees, and the fingerprint of their key set (for
    the row's ``sealed_to``)."""
    keys = sealing_key_set_for(commission_id)
    if not keys.public_keys:
        raise DomainError("no_trustee", _("Contact details cannot be stored safely right now."), status=503)
    return seal(json.dumps(record, ensure_ascii=False).encode("utf-8"), keys.public_keys), keys.fingerprint


def contact_add(
    *, actor: User | None, organisation: Organisation, name: str, role: str, email: str
) -> OrganisationContact:
    """A contact the secretariat vouches for: verified at once. Sealed to the federation's trustees."""
    _require_secretariat(actor)
    name, role = check_name(name, _("The name")), check_plain(role, _("The role"))
    if not name:
        raise DomainError("name_required", _("Enter the contact's name."))
    try:
        rehash_address(email)
        hashed = contact_email_hash(email)
    except InvalidAddressError:
        raise DomainError("bad_email", _("Enter a complete email address, like name@example.org.")) from None
    sealed, sealed_to = seal_contact_record(
        {
            "organisation": organisation.name,
            "name": name,
            "role": role,
            "email": email.strip(),
            "added_by": "secretariat",
        },
        None,
    )
    with transaction.atomic():
        contact, created = OrganisationContact.objects.get_or_create(
            organisation=organisation,
            email_hash=hashed,
            defaults={"sealed_contact": sealed, "sealed_to": sealed_to, "verified_at": timezone.now()},
        )
        if not created:
            contact.sealed_contact, contact.sealed_to = sealed, sealed_to
            contact.verified_at = contact.verified_at or timezone.now()
            contact.save(update_fields=["sealed_contact", "sealed_to", "verified_at"])
        audit.record(
            actor=actor, action="organisation.contact_added", subject=organisation, detail={"contact": contact.pk}
        )
    return contact


def contact_remove(*, actor: User | None, contact: OrganisationContact) -> None:
    _require_secretariat(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="organisation.contact_removed",
            subject=contact.organisation,
            detail={"contact": contact.pk},
        )
        contact.delete()


def remember_verified_contact(sign_on: SignOn) -> None:
    """A confirmed contact of a directory organisation may endorse for it later with one click.

    The server cannot open the sign-on's sealed contact to seal it again, so the contact keeps the
    sign-on's copy, sealed to the statement's issuing body, and says so in ``sealed_to``; when that
    is a commission, ``manage.py reseal`` moves it to the federation's trustees."""
    if sign_on.organisation_id is None or not sign_on.sealed_contact:
        return
    OrganisationContact.objects.update_or_create(
        organisation_id=sign_on.organisation_id,
        email_hash=sign_on.contact_email_hash,
        defaults={
            "sealed_contact": bytes(sign_on.sealed_contact),
            "sealed_to": sign_on.sealed_to,
            "verified_at": timezone.now(),
        },
    )
