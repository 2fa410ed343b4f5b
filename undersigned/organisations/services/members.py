"""Member organisations' contacts: who may sign in for a member organisation, and its one-click
endorsement of a statement, approved at once when the issuing body lets members skip review."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.core import audit, ratelimit
from undersigned.core.addresses import InvalidAddressError
from undersigned.core.crypto import server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.core.links import spend_link
from undersigned.federation.models import Federation
from undersigned.ledger.services import record_event
from undersigned.notifications.services import mail_enqueue, recipient_check
from undersigned.organisations.models import Organisation, OrganisationContact, SignOn
from undersigned.organisations.services.directory import seal_contact_record
from undersigned.organisations.services.names import contact_email_hash, email_domain
from undersigned.organisations.services.sign_ons import already_signed_on, mail_contact, sign_on_tally_change
from undersigned.organisations.tokens import SIGN_IN_LINK, SIGN_IN_MINUTES, sign_in_token
from undersigned.privacy.rehash import rehash_address
from undersigned.statements.models import Revision, Statement


def member_organisations_for(email: str) -> list[Organisation]:
    """The member organisations ``email`` is a verified contact of: by a verified email domain, or
    as a contact confirmed before."""
    return contact_organisations_for(email, members_only=True)


def contact_organisations_for(email: str, *, members_only: bool = False) -> list[Organisation]:
    """The directory organisations ``email`` is a verified contact of, members or not (an
    organisation that has left the federation still answers for what it reported as a member)."""
    try:
        hashed, domain = contact_email_hash(email), email_domain(email)
    except InvalidAddressError:
        return []
    by_contact = set(
        OrganisationContact.objects.filter(email_hash=hashed, verified_at__isnull=False).values_list(
            "organisation_id", flat=True
        )
    )
    candidates = Organisation.objects.order_by("normalised_name")
    if members_only:
        candidates = candidates.filter(is_member=True)
    return [
        organisation
        for organisation in candidates
        if organisation.pk in by_contact or domain in (organisation.email_domains or [])
    ]


def members_skip_review(statement: Statement) -> bool:
    if statement.commission_id is None:
        return bool(
            Federation.objects.filter(pk=Federation.SINGLETON_PK).values_list("members_skip_review", flat=True).first()
        )
    return bool(statement.commission and statement.commission.members_skip_review)


def member_sign_in_request(*, email: str, network_hash: str, language: str) -> None:
    """Mails a sign-in link if ``email`` is a verified contact of a member organisation and the
    rate limits hold. Returns nothing either way: the caller answers alike, so the page does not
    tell who is a contact, nor who has asked too often."""
    try:
        rehash_address(email)
        address = contact_email_hash(email)[:32]
    except InvalidAddressError:
        return  # no contact has such an address: the same answer, and nothing to count
    allowed = ratelimit.allow(("member_sign_in.network", network_hash[:32]), ("member_sign_in.address", address))
    # The address's daily mail budget counts mails sent: typing someone's address here, when it
    # is no member contact, sends nothing and must not use up that person's budget.
    if allowed and member_organisations_for(email) and ratelimit.allow(recipient_check(email)):
        mail_enqueue(
            name="member_sign_in",
            to=email,
            language=language,
            context={
                "sign_in_url": settings.SITE_URL
                + reverse("organisations:member_sign_in_link", args=[sign_in_token(email)]),
                "minutes": SIGN_IN_MINUTES,
            },
        )


def member_sign_in_open(*, token: str) -> str:
    """Spends a sign-in link and gives the address it was sent to. Raises a ``LinkError`` for a
    forged, expired or already used link (each link works once), and ``not_a_member_contact``
    when the address is no longer a verified contact of any member organisation."""
    email = spend_link(SIGN_IN_LINK, token)
    if not member_organisations_for(email):
        raise DomainError("not_a_member_contact", _("No member organisation found for this address."), status=403)
    return email


def member_endorse_by_contact(*, email: str, statement_id: int, organisation_id: int, language: str) -> SignOn:
    """A signed-in contact endorses a statement for one of the member organisations ``email`` is a
    verified contact of; any other organisation, or a statement that does not exist, is not found."""
    organisation = next((item for item in member_organisations_for(email) if item.pk == organisation_id), None)
    statement = Statement.objects.select_related("commission").filter(pk=statement_id).first()
    if organisation is None or statement is None:
        raise DomainError("not_found", _("This statement or organisation was not found."), status=404)
    return member_endorse(statement=statement, organisation=organisation, email=email, language=language)


def member_endorse(*, statement: Statement, organisation: Organisation, email: str, language: str) -> SignOn:
    """A verified contact endorses ``statement`` for ``organisation`` with one click.

    Approved at once when the issuing body lets members' sign-ons skip review, else queued for it.
    Precondition: ``email`` is a verified contact of the member ``organisation``
    (``member_endorse_by_contact`` checks it for people; the demo data calls this directly).
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
        raise already_signed_on()
    sealed, sealed_to = seal_contact_record(
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
                sign_on_tally_change(sign_on, +1)
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
            mail_contact(sign_on, "sign_on_endorsed" if approve else "sign_on_queued", revision.title, email.strip())
    except IntegrityError:
        raise already_signed_on() from None
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
