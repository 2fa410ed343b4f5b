"""Organisations' sign-ons: submitted by anyone, confirmed by email, reviewed by the issuing body's
editors, withdrawn by the contact; and the approved count by country and type.

Guarantees: the approved count changes only with a status change, in the same transaction, by a
conditional UPDATE that exactly one concurrent request can win. A contact's name, role and
address are sealed to trustees' keys before they are stored; the server keeps the address
(encrypted with its own key) only until the outcome of the review is mailed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import audit, ratelimit
from undersigned.core.addresses import InvalidAddressError
from undersigned.core.bot_check import FormTimer
from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.ledger.services import record_event
from undersigned.notifications.services import mail_enqueue, mailed_just_now, recipient_check, too_many_mails
from undersigned.organisations.logos import logo_from_upload
from undersigned.organisations.models import Logo, Organisation, OrganisationType, SignOn, SignOnTally
from undersigned.organisations.presentation import section_keys
from undersigned.organisations.selectors import list_cache_key, tally_cache_key
from undersigned.organisations.services.directory import remember_verified_contact, seal_contact_record
from undersigned.organisations.services.names import (
    check_name,
    check_plain,
    contact_email_hash,
    normalise_organisation_name,
    website_domain,
)
from undersigned.organisations.tokens import SignOnRef, confirm_token, withdraw_token
from undersigned.permissions.roles import can_moderate_statement
from undersigned.privacy.rehash import rehash_address
from undersigned.statements.models import Revision, Statement
from undersigned.statements.selectors import published_revision_of

logger = logging.getLogger(__name__)
MAX_MAILS_PER_SIGN_ON = 3
MAX_REASON_LENGTH = 500


# --- Tally --------------------------------------------------------------------------------------


def forget_sign_ons(statement_id: int) -> None:
    """Approvals are few and people look for them at once: the cached count and list go."""
    with contextlib.suppress(*CACHE_ERRORS):
        cache.delete_many([tally_cache_key(statement_id), list_cache_key(statement_id), *section_keys(statement_id)])


def sign_on_tally_change(sign_on: SignOn, delta: int) -> None:
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


def mail_contact(sign_on: SignOn, template: str, title: str, to: str, **extra: str) -> None:
    mail_enqueue(
        name=template,
        to=to,
        language=sign_on.language,
        context={"statement_title": title, "organisation": sign_on.name, **_links(sign_on), **extra},
    )


def already_signed_on() -> DomainError:
    return DomainError(
        "already_signed_on",
        _(
            "This organisation has already signed on to this statement, or its sign-on is being "
            "confirmed or reviewed. Its contact can withdraw it from the link in their email."
        ),
        status=409,
    )


# The sign-on form's timer: its salt is the one sign-on forms have always carried.
SIGN_ON_FORM_TIMER = FormTimer(salt="undersigned.organisations.form-started")


def sign_on_refusal(*, statement: Statement, started: str, honeypot: str) -> DomainError | None:
    """The first rules of signing on, which need none of the fields: the statement takes sign-ons,
    and a person, not a script, filled in the form. Asked first by ``sign_on_submit``, and by the
    page when the form came back with mistakes."""
    if not statement.takes_signatures():
        return DomainError("not_open", _("This statement does not take sign-ons now."), status=410)
    return SIGN_ON_FORM_TIMER.refusal(started=started, honeypot=honeypot)


def sign_on_submit(
    *,
    statement: Statement,
    revision_id: int,
    data: SignOnInput,
    logo_upload: UploadedFile | None,
    started: str,
    honeypot: str,
    network_hash: str,
    language: str,
) -> SignOn:
    """Every rule of signing on, for every way in, from plain values: the statement takes
    sign-ons, a person filled in the form, the revision shown is one of this statement's, the
    network's rate limits hold, and the logo (processed only after all that) can be one. Raises
    ``DomainError`` (a ``LogoError`` for the logo) for the first rule broken; else stores the
    sign-on as ``sign_on_record`` does."""
    refusal = sign_on_refusal(statement=statement, started=started, honeypot=honeypot)
    if refusal is not None:
        raise refusal
    revision = published_revision_of(statement=statement, revision_id=revision_id)
    if revision is None:
        raise DomainError(
            "wrong_revision", _("This form belongs to another statement. Reload the page and sign on again.")
        )
    network = network_hash[:32]
    refused_by = ratelimit.count_hits(
        (
            ("sign_on.network.statement", f"{network}:{statement.pk}"),
            ("sign_on.network", network),
            recipient_check(data.contact_email),
        )
    ).refused_by
    if refused_by == ("mail.recipient.daily",):
        raise too_many_mails()
    if refused_by:
        raise DomainError("too_many", _("Too many sign-ons from your network. Please try again later."), status=429)
    if logo_upload is not None:
        data = replace(data, logo=logo_from_upload(logo_upload))
    return sign_on_record(
        statement=statement, revision=revision, data=data, network_hash=network_hash, language=language
    )


def sign_on_record(
    *, statement: Statement, revision: Revision, data: SignOnInput, network_hash: str, language: str
) -> SignOn:
    """Store a pending sign-on and mail its contact the confirmation link.

    Precondition: ``sign_on_submit``'s rules hold (it is the way in for people; this step is also
    for the demo data and for tests)."""
    name = check_name(data.name, _("The organisation's name"))
    contact_name = check_name(data.contact_name, _("The contact's name"))
    contact_role = check_plain(data.contact_role, _("The role"))
    if not name or not contact_name:
        raise DomainError("name_required", _("Enter the organisation's name and the contact's name."))
    try:
        rehash_address(data.contact_email)
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
            # The same contact again, before confirming: the confirmation again, a few times at
            # most, and not when it went out a moment ago (the form sent twice).
            if existing.mails_sent < MAX_MAILS_PER_SIGN_ON and not mailed_just_now(existing.mailed_at):
                mail_contact(existing, "sign_on_confirm", revision.title, data.contact_email.strip())
                SignOn.objects.filter(pk=existing.pk).update(mails_sent=F("mails_sent") + 1, mailed_at=timezone.now())
            return existing
        raise already_signed_on()
    sealed, sealed_to = seal_contact_record(
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
                mailed_at=timezone.now(),
            )
            mail_contact(sign_on, "sign_on_confirm", revision.title, data.contact_email.strip())
    except IntegrityError:  # a concurrent sign-on of the same organisation won
        winner = SignOn.objects.filter(
            statement=statement, normalised_name=normalised, country=data.country, status=SignOn.Status.PENDING
        ).first()
        if winner is not None and winner.contact_email_hash == hashed:
            return winner  # the same form sent twice at once: its first mail is on its way
        raise already_signed_on() from None
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
                sign_on_tally_change(sign_on, +1)
                remember_verified_contact(sign_on)
            audit.record(
                actor=actor,
                action="sign_on.approved" if approve else "sign_on.rejected",
                subject=sign_on,
                detail={"statement": sign_on.statement_id} | ({} if approve else {"reason": reason}),
            )
            address = _notice_address(sign_on)
            if address:
                mail_contact(
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
            sign_on_tally_change(sign_on, -1)
            record_event(
                statement_id=statement_id,
                kind="sign_on.withdrawn",
                subject=sign_on.public_id,
                country=str(sign_on.country),
            )
            audit.record(actor=None, action="sign_on.withdrawn", subject=sign_on, detail={"statement": statement_id})
    return True
