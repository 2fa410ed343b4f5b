"""The member directory and organisations' sign-ons: submit, confirm, review, withdraw, and the
member contacts' one-click endorsement.

Guarantees: the approved count changes only with a status change, in the same transaction, by a
conditional UPDATE that exactly one concurrent request can win. A contact's name, role and
address are sealed to trustees' keys before they are stored; the server keeps the address
(encrypted with its own key) only until the outcome of the review is mailed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import audit
from undersigned.core.crypto import keyed_hash, seal, server_decrypt, server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.federation.models import Federation
from undersigned.federation.selectors import CACHE_ERRORS
from undersigned.ledger.services import record_event
from undersigned.notifications.services import mail_enqueue
from undersigned.organisations.models import (
    Logo,
    Organisation,
    OrganisationContact,
    OrganisationType,
    SignOn,
    SignOnTally,
)
from undersigned.organisations.presentation import section_keys
from undersigned.organisations.selectors import list_cache_key, tally_cache_key
from undersigned.organisations.tokens import SignOnRef, confirm_token, withdraw_token
from undersigned.permissions.roles import can_moderate_statement
from undersigned.signatures.addresses import InvalidAddressError, normalise_email
from undersigned.signatures.services import sealing_key_set_for
from undersigned.statements.models import Revision, Statement

logger = logging.getLogger(__name__)
MAX_MAILS_PER_SIGN_ON = 3
MAX_REASON_LENGTH = 500


# --- Names, websites, addresses -----------------------------------------------------------------


def normalise_organisation_name(name: str) -> str:
    """The name as compared for duplicates: compatibility-folded, case-folded, letters and digits
    only, single spaces. "Friends of the Library, e.V." and "friends of the library ev" match."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(
        character if unicodedata.category(character)[0] in "LNM" else " "
        for character in unicodedata.normalize("NFKD", folded)
        if unicodedata.category(character) != "Mn"
    )
    return " ".join(kept.split())[:200]


def website_domain(url: str) -> str:
    """The host of a website address, lower-case, in ASCII, without a leading ``www.``."""
    if not url:
        return ""
    host = (urlsplit(url).hostname or "").strip(".").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def contact_email_hash(email: str) -> str:
    """The keyed hash that recognises a contact's address, however it is spelt."""
    return keyed_hash("contact-email", normalise_email(email))


def email_domain(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def _check_plain(value: str, label: str) -> str:
    """Names are shown on public pages: single spaces, no markup, no invisible characters."""
    value = " ".join(value.split())
    if "<" in value or ">" in value:
        raise DomainError("markup", _("%(field)s cannot contain < or >.") % {"field": label})
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} and c not in "\u200c\u200d" for c in value):
        raise DomainError("control", _("Remove the invisible control characters from %(field)s.") % {"field": label})
    return value


# --- Directory ----------------------------------------------------------------------------------


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
    name = _check_plain(data.name, _("The name"))
    if not name:
        raise DomainError("name_required", _("Enter the organisation's name."))
    short_name = _check_plain(data.short_name, _("The short name"))
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
    name = _check_plain(name, _("The type"))
    if not name or len(name) > 80:
        raise DomainError("type_name", _("Give the type a name of at most 80 characters."))
    code = normalise_organisation_name(name).replace(" ", "-")[:40] or "type"
    if (
        OrganisationType.objects.filter(code=code).exists()
        or OrganisationType.objects.filter(name__iexact=name).exists()
    ):
        raise DomainError("type_exists", _("This type is already on the list."))
    return OrganisationType.objects.create(code=code, name=name, position=1000)


def _seal_contact_record(record: dict[str, object], commission_id: int | None) -> tuple[bytes, str]:
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
    name, role = _check_plain(name, _("The name")), _check_plain(role, _("The role"))
    if not name:
        raise DomainError("name_required", _("Enter the contact's name."))
    try:
        hashed = contact_email_hash(email)
    except InvalidAddressError:
        raise DomainError("bad_email", _("Enter a complete email address, like name@example.org.")) from None
    sealed, sealed_to = _seal_contact_record(
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


def _remember_verified_contact(sign_on: SignOn) -> None:
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


# --- Tally --------------------------------------------------------------------------------------


def forget_sign_ons(statement_id: int) -> None:
    """Approvals are few and people look for them at once: the cached count and list go."""
    with contextlib.suppress(*CACHE_ERRORS):
        cache.delete_many([tally_cache_key(statement_id), list_cache_key(statement_id), *section_keys(statement_id)])


def _tally_change(sign_on: SignOn, delta: int) -> None:
    """Adds ``delta`` to the sign-on's (country, type) counter; caller holds the transaction."""
    rows = SignOnTally.objects.filter(
        statement_id=sign_on.statement_id, country=sign_on.country, type_id=sign_on.type_id
    )
    if not rows.update(approved=F("approved") + delta):
        try:
            with transaction.atomic():
                SignOnTally.objects.create(
                    statement_id=sign_on.statement_id, country=sign_on.country, type_id=sign_on.type_id, approved=delta
                )
        except IntegrityError:  # a concurrent first approval created the row
            rows.update(approved=F("approved") + delta)
    statement_id = sign_on.statement_id
    transaction.on_commit(lambda: forget_sign_ons(statement_id))


# --- Sign-on by anyone, confirmed by email ------------------------------------------------------


@dataclass(frozen=True)
class SignOnInput:
    name: str
    country: str
    type: OrganisationType
    website: str
    contact_name: str
    contact_role: str
    contact_email: str
    logo: Logo | None = None


def _links(sign_on: SignOn) -> dict[str, str]:
    ref = SignOnRef(sign_on_id=sign_on.pk, statement_id=sign_on.statement_id)
    return {
        "confirm_url": settings.SITE_URL + reverse("organisations:confirm", args=[confirm_token(ref)]),
        "withdraw_url": settings.SITE_URL + reverse("organisations:withdraw", args=[withdraw_token(ref)]),
        "statement_url": settings.SITE_URL + reverse("statements:read", args=[sign_on.statement.slug]),
    }


def _mail_contact(sign_on: SignOn, template: str, title: str, to: str, **extra: str) -> None:
    mail_enqueue(
        name=template,
        to=to,
        language=sign_on.language,
        context={"statement_title": title, "organisation": sign_on.name, **_links(sign_on), **extra},
    )


def _already_signed_on() -> DomainError:
    return DomainError(
        "already_signed_on",
        _(
            "This organisation has already signed on to this statement, or its sign-on is being "
            "confirmed or reviewed. Its contact can withdraw it from the link in their email."
        ),
        status=409,
    )


def sign_on_submit(
    *, statement: Statement, revision: Revision, data: SignOnInput, network_hash: str, language: str
) -> SignOn:
    """Store a pending sign-on and mail its contact the confirmation link."""
    if not statement.takes_signatures():
        raise DomainError("not_open", _("This statement does not take sign-ons now."), status=410)
    if revision.text.statement_id != statement.pk:
        raise DomainError("wrong_revision", _("This form belongs to another statement. Reload the page."))
    name = _check_plain(data.name, _("The organisation's name"))
    contact_name = _check_plain(data.contact_name, _("The contact's name"))
    contact_role = _check_plain(data.contact_role, _("The role"))
    if not name or not contact_name:
        raise DomainError("name_required", _("Enter the organisation's name and the contact's name."))
    try:
        hashed = contact_email_hash(data.contact_email)
    except InvalidAddressError:
        raise DomainError("bad_email", _("Enter a complete email address, like name@example.org.")) from None
    normalised = normalise_organisation_name(name)
    if not normalised:
        raise DomainError("name_required", _("Enter the organisation's name."))
    existing = SignOn.objects.filter(
        statement=statement, normalised_name=normalised, country=data.country, status__in=SignOn.ACTIVE_STATUSES
    ).first()
    if existing is not None:
        if existing.contact_email_hash == hashed and existing.status == SignOn.Status.PENDING:
            # The same contact again, before confirming: the confirmation again, a few times at most.
            if existing.mails_sent < MAX_MAILS_PER_SIGN_ON:
                _mail_contact(existing, "sign_on_confirm", revision.title, data.contact_email.strip())
                SignOn.objects.filter(pk=existing.pk).update(mails_sent=F("mails_sent") + 1)
            return existing
        raise _already_signed_on()
    sealed, sealed_to = _seal_contact_record(
        {
            "statement": statement.slug,
            "organisation": name,
            "name": contact_name,
            "role": contact_role,
            "email": data.contact_email.strip(),
            "signed_on_at": timezone.now().isoformat(),
        },
        statement.commission_id,
    )
    directory_match = (
        Organisation.objects.filter(normalised_name=normalised, country=data.country).order_by("pk").first()
    )
    try:
        with transaction.atomic():
            sign_on = SignOn.objects.create(
                statement=statement,
                revision=revision,
                organisation=directory_match,
                name=name,
                normalised_name=normalised,
                country=data.country,
                type=data.type,
                website=data.website,
                website_domain=website_domain(data.website),
                logo=data.logo,
                contact_email_hash=hashed,
                sealed_contact=sealed,
                sealed_to=sealed_to,
                notice_address=server_encrypt(data.contact_email.strip().encode("utf-8")),
                language=language,
                network_hash=network_hash,
                mails_sent=1,
            )
            _mail_contact(sign_on, "sign_on_confirm", revision.title, data.contact_email.strip())
    except IntegrityError:  # a concurrent sign-on of the same organisation won
        raise _already_signed_on() from None
    return sign_on


def sign_on_confirm(*, sign_on_id: int, statement_id: int) -> SignOn:
    """The contact confirms: the sign-on goes to review. Confirming again changes nothing."""
    sign_on = SignOn.objects.select_related("statement").filter(pk=sign_on_id, statement_id=statement_id).first()
    if sign_on is None:
        raise DomainError("not_found", _("This sign-on no longer exists."), status=404)
    if sign_on.status == SignOn.Status.WITHDRAWN:
        raise DomainError(
            "withdrawn", _("This sign-on was withdrawn. Sign on again to endorse the statement."), status=410
        )
    if sign_on.status == SignOn.Status.PENDING and not sign_on.statement.takes_signatures():
        raise DomainError(
            "closed", _("This statement closed before the sign-on was confirmed, so it is not counted."), status=410
        )
    now = timezone.now()
    changed = SignOn.objects.filter(pk=sign_on_id, status=SignOn.Status.PENDING).update(
        status=SignOn.Status.AWAITING_MODERATION, confirmed_at=now
    )
    if changed:
        sign_on.status, sign_on.confirmed_at = SignOn.Status.AWAITING_MODERATION, now
    else:
        sign_on.refresh_from_db()
    return sign_on


# --- Review by the issuing body's editors -------------------------------------------------------


@dataclass(frozen=True)
class ReviewOutcome:
    changed: int
    skipped: int


def _notice_address(sign_on: SignOn) -> str | None:
    if not sign_on.notice_address:
        return None
    try:
        return server_decrypt(bytes(sign_on.notice_address)).decode("utf-8")
    except InvalidToken:
        logger.error("a sign-on's notice address is sealed under a data key that is no longer configured")
        return None


def _decide(*, actor: User, sign_on_ids: Iterable[int], approve: bool, reason: str = "") -> ReviewOutcome:
    reason = " ".join(reason.split())
    if not approve and not reason:
        raise DomainError("reason_required", _("Give a reason for the rejection; the contact receives it."))
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError("reason_too_long", _("Keep the reason under 500 characters."))
    ids = sorted(set(sign_on_ids))
    if not ids:
        raise DomainError("nothing_chosen", _("Choose at least one sign-on."))
    # In the order of their counters, so concurrent reviews take them in the same order.
    sign_ons = list(
        SignOn.objects.select_related("statement", "revision")
        .filter(pk__in=ids)
        .order_by("statement_id", "country", "type_id", "pk")
    )
    if len(sign_ons) != len(ids) or not all(can_moderate_statement(actor, s.statement) for s in sign_ons):
        raise DomainError("forbidden", _("You can review only the sign-ons of statements you moderate."), status=403)
    target = SignOn.Status.APPROVED if approve else SignOn.Status.REJECTED
    changed = 0
    now = timezone.now()
    with transaction.atomic():
        for sign_on in sign_ons:
            won = SignOn.objects.filter(pk=sign_on.pk, status=SignOn.Status.AWAITING_MODERATION).update(
                status=target,
                decided_at=now,
                decided_by=actor,
                rejection_reason="" if approve else reason,
                notice_address=b"",
            )
            if not won:
                continue
            changed += 1
            record_event(
                statement_id=sign_on.statement_id,
                kind="sign_on.approved" if approve else "sign_on.rejected",
                subject=sign_on.public_id,
                country=str(sign_on.country),
            )
            if approve:
                _tally_change(sign_on, +1)
                _remember_verified_contact(sign_on)
            audit.record(
                actor=actor,
                action="sign_on.approved" if approve else "sign_on.rejected",
                subject=sign_on,
                detail={"statement": sign_on.statement_id} | ({} if approve else {"reason": reason}),
            )
            address = _notice_address(sign_on)
            if address:
                _mail_contact(
                    sign_on,
                    "sign_on_approved" if approve else "sign_on_rejected",
                    sign_on.revision.title,
                    address,
                    reason=reason,
                )
    return ReviewOutcome(changed=changed, skipped=len(ids) - changed)


def sign_ons_approve(*, actor: User, sign_on_ids: Iterable[int]) -> ReviewOutcome:
    return _decide(actor=actor, sign_on_ids=sign_on_ids, approve=True)


def sign_ons_reject(*, actor: User, sign_on_ids: Iterable[int], reason: str) -> ReviewOutcome:
    return _decide(actor=actor, sign_on_ids=sign_on_ids, approve=False, reason=reason)


# --- Withdrawal by the contact ------------------------------------------------------------------


def sign_on_withdraw(*, sign_on_id: int, statement_id: int) -> bool:
    """Takes the sign-on off the statement and deletes its sealed contact. True if it changed."""
    with transaction.atomic():
        sign_on = (
            SignOn.objects.select_for_update()
            .filter(pk=sign_on_id, statement_id=statement_id, status__in=SignOn.ACTIVE_STATUSES)
            .first()
        )
        if sign_on is None:
            return False
        was_counted = sign_on.status == SignOn.Status.APPROVED
        SignOn.objects.filter(pk=sign_on.pk).update(
            status=SignOn.Status.WITHDRAWN, sealed_contact=b"", notice_address=b"", withdrawn_at=timezone.now()
        )
        if was_counted:
            _tally_change(sign_on, -1)
            record_event(
                statement_id=statement_id,
                kind="sign_on.withdrawn",
                subject=sign_on.public_id,
                country=str(sign_on.country),
            )
            audit.record(actor=None, action="sign_on.withdrawn", subject=sign_on, detail={"statement": statement_id})
    return True


# --- Member organisations' contacts: sign-in link and one-click endorsement ---------------------


def member_organisations_for(email: str) -> list[Organisation]:
    """The member organisations ``email`` is a verified contact of: by a verified email domain, or
    as a contact confirmed before."""
    try:
        hashed, domain = contact_email_hash(email), email_domain(email)
    except InvalidAddressError:
        return []
    by_contact = set(
        OrganisationContact.objects.filter(email_hash=hashed, verified_at__isnull=False).values_list(
            "organisation_id", flat=True
        )
    )
    members = Organisation.objects.filter(is_member=True).order_by("normalised_name")
    return [
        organisation
        for organisation in members
        if organisation.pk in by_contact or domain in (organisation.email_domains or [])
    ]


def members_skip_review(statement: Statement) -> bool:
    if statement.commission_id is None:
        return bool(
            Federation.objects.filter(pk=Federation.SINGLETON_PK).values_list("members_skip_review", flat=True).first()
        )
    return bool(statement.commission and statement.commission.members_skip_review)


def member_endorse(*, statement: Statement, organisation: Organisation, email: str, language: str) -> SignOn:
    """A verified contact endorses ``statement`` for ``organisation`` with one click.

    Approved at once when the issuing body lets members' sign-ons skip review, else queued for it.
    The caller has checked that ``email`` is a verified contact of the member ``organisation``.
    """
    if not organisation.is_member:
        raise DomainError("not_member", _("Only member organisations endorse with one click."), status=403)
    if not statement.takes_signatures():
        raise DomainError("not_open", _("This statement does not take sign-ons now."), status=410)
    revision = _original_revision(statement)
    hashed = contact_email_hash(email)
    existing = SignOn.objects.filter(statement=statement, status__in=SignOn.ACTIVE_STATUSES).filter(
        organisation=organisation
    ) | SignOn.objects.filter(
        statement=statement,
        status__in=SignOn.ACTIVE_STATUSES,
        normalised_name=organisation.normalised_name,
        country=organisation.country,
    )
    if existing.exists():
        raise _already_signed_on()
    sealed, sealed_to = _seal_contact_record(
        {
            "statement": statement.slug,
            "organisation": organisation.name,
            "email": email.strip(),
            "via": "member sign-in",
            "signed_on_at": timezone.now().isoformat(),
        },
        statement.commission_id,
    )
    approve = members_skip_review(statement)
    now = timezone.now()
    try:
        with transaction.atomic():
            sign_on = SignOn.objects.create(
                statement=statement,
                revision=revision,
                organisation=organisation,
                status=SignOn.Status.APPROVED if approve else SignOn.Status.AWAITING_MODERATION,
                name=organisation.name,
                normalised_name=organisation.normalised_name,
                country=organisation.country,
                type=organisation.type,
                website=organisation.website,
                website_domain=organisation.website_domain,
                logo=organisation.logo,
                contact_email_hash=hashed,
                sealed_contact=sealed,
                sealed_to=sealed_to,
                notice_address=b"" if approve else server_encrypt(email.strip().encode("utf-8")),
                language=language,
                via_member_sign_in=True,
                mails_sent=1,
                confirmed_at=now,
                decided_at=now if approve else None,
            )
            if approve:
                _tally_change(sign_on, +1)
                record_event(
                    statement_id=statement.pk,
                    kind="sign_on.approved",
                    subject=sign_on.public_id,
                    country=str(sign_on.country),
                    detail={"without_review": True},
                )
                audit.record(
                    actor=None,
                    action="sign_on.approved",
                    subject=sign_on,
                    detail={"statement": statement.pk, "member": organisation.pk, "without_review": True},
                )
            _mail_contact(sign_on, "sign_on_endorsed" if approve else "sign_on_queued", revision.title, email.strip())
    except IntegrityError:
        raise _already_signed_on() from None
    return sign_on


def _original_revision(statement: Statement) -> Revision:
    revision = (
        Revision.objects.select_related("text")
        .filter(text__statement=statement, text__language=statement.original_language, text__published_revision=F("pk"))
        .first()
    )
    if revision is None:
        raise DomainError("not_open", _("This statement does not take sign-ons now."), status=410)
    return revision
