"""Reporting, moderating and withdrawing solidarity actions.

A member organisation's verified contact (signed in through the emailed link of
``organisations.services.members``) reports what the organisation did or plans; it is published at
once when the issuing body lets members skip review, else it waits for the editors. An organisation
that is not a member reports through a public form, as it would sign on: its contact confirms by
email and the editors always review it. Editors approve, reject with a reason, or correct a
description, as they review sign-ons: within the statements they moderate, each decision audited.
The organisation withdraws its action: a member's contact from the member pages, another's contact
from the link in their mails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.accounts.models import User
from undersigned.actions.models import DESCRIPTION_LIMIT, PARTICIPANTS_LIMIT, ActionPhoto, SolidarityAction
from undersigned.actions.photos import PhotoError, ProcessedPhoto, blurred, photo_store, process_photo
from undersigned.actions.selectors import forget_action_summary
from undersigned.actions.tokens import CONFIRM_DAYS, ActionRef, confirm_action_token, withdraw_action_token
from undersigned.core import audit, ratelimit
from undersigned.core.addresses import InvalidAddressError
from undersigned.core.bot_check import FormTimer
from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import is_content_language
from undersigned.notifications.services import mail_enqueue, mailed_just_now, recipient_check, too_many_mails
from undersigned.organisations.models import Organisation
from undersigned.organisations.services.directory import seal_contact_record
from undersigned.organisations.services.members import (
    contact_organisations_for,
    member_organisations_for,
    members_skip_review,
)
from undersigned.organisations.services.names import check_name, check_plain, contact_email_hash
from undersigned.permissions.roles import can_moderate_statement
from undersigned.privacy.rehash import rehash_address
from undersigned.statements.models import Statement
from undersigned.statements.selectors import choose_text, published_texts

HTTP_URL = URLValidator(schemes=["http", "https"])
# A closed statement may still be acted on; a withdrawn one, or a draft, may not.
REPORTABLE_STATUSES = (Statement.Status.PUBLISHED, Statement.Status.CLOSED)
# How far ahead a planned action may be dated.
PLANNED_AHEAD_DAYS = 366
REJECTION_REASON_LIMIT = 500
# An editor corrects the description of an action still waiting or already shown; a rejected or
# withdrawn one is shown to nobody and stays as it was.
EDITABLE_STATUSES = (SolidarityAction.Status.AWAITING_MODERATION, SolidarityAction.Status.APPROVED)
# What the organisation can still withdraw: anything not withdrawn yet (a rejected report too, so
# that its contact's sealed details go at once rather than at the statement's purge).
WITHDRAWABLE_STATUSES = (
    SolidarityAction.Status.PENDING,
    SolidarityAction.Status.AWAITING_MODERATION,
    SolidarityAction.Status.APPROVED,
    SolidarityAction.Status.REJECTED,
)
# The confirmation mail of one report goes out at most this many times (the form sent again).
MAX_MAILS_PER_REPORT = 3


@dataclass(frozen=True)
class ActionInput:
    kind: str
    date: dt.date
    city: str
    country: str
    description: str
    description_language: str = ""
    link: str = ""
    participants: int | None = None
    # The uploaded file's bytes, as sent; re-encoded (``photos.process_photo``) before anything is stored.
    photo: bytes | None = None


def earliest_action_date(statement: Statement) -> dt.date:
    """An action answers the statement: it cannot be dated before the statement was published."""
    published = statement.published_at or timezone.now()
    return timezone.localdate(published)


def latest_action_date(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=PLANNED_AHEAD_DAYS)


def action_input_problems(data: ActionInput, *, statement: Statement, today: dt.date) -> dict[str, str]:
    """What is wrong with ``data``, by field, in words for the reporter; empty when nothing is.

    The form shows the same rules as its own messages; these hold for any caller (an API later)."""
    problems: dict[str, str] = {}
    if data.kind not in SolidarityAction.Kind.values:
        problems["kind"] = _("Choose the kind of action.")
    earliest = earliest_action_date(statement)
    if data.date < earliest:
        problems["date"] = _(
            "This date is before the statement was published (%(date)s): give the date of the action."
        ) % {"date": earliest.isoformat()}
    elif data.date > latest_action_date(today):
        problems["date"] = _("This date is more than a year ahead. Report a planned action within the coming year.")
    if not data.city.strip():
        problems["city"] = _("Give the city or town.")
    if not data.country:
        problems["country"] = _("Choose the country.")
    if not data.description.strip():
        problems["description"] = _("Describe the action in a few lines.")
    elif len(data.description) > DESCRIPTION_LIMIT:
        problems["description"] = ngettext(
            "Keep the description to %(limit)d character or fewer (it has %(count)d).",
            "Keep the description to %(limit)d characters or fewer (it has %(count)d).",
            DESCRIPTION_LIMIT,
        ) % {"limit": DESCRIPTION_LIMIT, "count": len(data.description)}
    if data.description_language and not is_content_language(data.description_language):
        problems["description_language"] = _("Choose a language from the list.")
    if data.link and not link_is_http(data.link):
        problems["link"] = _("Give a web address that starts with http:// or https://.")
    if data.participants is not None and not 1 <= data.participants < PARTICIPANTS_LIMIT:
        problems["participants"] = _("Give the number who took part as a whole number from 1 to 9,999,999.")
    return problems


def link_is_http(link: str) -> bool:
    """A complete web address, http or https only: no ``javascript:``, ``data:`` or ``ftp:`` links
    on public pages."""
    try:
        HTTP_URL(link)
    except ValidationError:
        return False
    return True


def action_report(
    *, statement: Statement, organisation_id: int, email: str, data: ActionInput, today: dt.date | None = None
) -> SolidarityAction:
    """A signed-in member contact reports an action of one of the member organisations ``email`` is
    a verified contact of; any other organisation is not found. Raises ``invalid`` (with the
    problems by field in ``detail["fields"]``) and stores nothing when the input breaks a rule."""
    organisation = next((item for item in member_organisations_for(email) if item.pk == organisation_id), None)
    if organisation is None:
        raise DomainError("not_found", _("This organisation was not found among yours."), status=404)
    return action_record(statement=statement, organisation=organisation, data=data, today=today)


def action_record(
    *, statement: Statement, organisation: Organisation, data: ActionInput, today: dt.date | None = None
) -> SolidarityAction:
    """Records a member organisation's action. Precondition: whoever reports it speaks for
    ``organisation`` (``action_report`` checks it for people; demo data calls this directly)."""
    if not organisation.is_member:
        raise DomainError("not_member", _("Only member organisations report actions here."), status=403)
    if statement.status not in REPORTABLE_STATUSES:
        raise DomainError("not_open", _("This statement does not take reports of actions."), status=410)
    problems = action_input_problems(data, statement=statement, today=today or timezone.localdate())
    photo: ProcessedPhoto | None = None
    if data.photo is not None and not problems:
        # Decoded only once the rest is right: a form sent back for a date costs no image decoding.
        try:
            photo = process_photo(data.photo)
        except PhotoError as error:
            problems["photo"] = error.message
    if problems:
        first = next(iter(problems.values()))
        raise DomainError("invalid", first, detail={"fields": problems})
    approve = members_skip_review(statement)
    now = timezone.now()
    with transaction.atomic():
        action = SolidarityAction.objects.create(
            statement=statement,
            organisation=organisation,
            kind=data.kind,
            date=data.date,
            city=" ".join(data.city.split()),
            country=data.country,
            description=data.description.strip(),
            description_language=data.description_language,
            link=data.link,
            participants=data.participants,
            photo=photo_store(photo) if photo is not None else None,
            status=SolidarityAction.Status.APPROVED if approve else SolidarityAction.Status.AWAITING_MODERATION,
            via_member_sign_in=True,
            reviewed_at=now if approve else None,
        )
        audit.record(
            actor=None,
            action="solidarity_action.reported",
            subject=action,
            detail={
                "statement": statement.pk,
                "organisation": organisation.pk,
                "status": action.status,
                "without_review": approve,
                "photo": photo is not None,
            },
        )
    if approve:
        forget_action_summary(statement.pk)
    return action


# --- Moderation by the issuing body's editors ----------------------------------------------------


@dataclass(frozen=True)
class ModerationOutcome:
    changed: int
    skipped: int  # no longer waiting for review (another editor decided first, or it was withdrawn)


def _moderated_actions(actor: User, action_ids: Iterable[int]) -> list[SolidarityAction]:
    """The actions ``action_ids``, all of statements ``actor`` moderates; else ``forbidden``, without
    telling which of them exist."""
    ids = sorted(set(action_ids))
    if not ids:
        raise DomainError("nothing_chosen", _("Choose at least one action."))
    actions = list(
        SolidarityAction.objects.select_related("statement", "organisation").filter(pk__in=ids).order_by("pk")
    )
    if len(actions) != len(ids) or not all(can_moderate_statement(actor, item.statement) for item in actions):
        raise DomainError("forbidden", _("You can review only the actions of statements you moderate."), status=403)
    return actions


def _decide(*, actor: User, action_ids: Iterable[int], approve: bool, reason: str = "") -> ModerationOutcome:
    reason = " ".join(reason.split())
    if not approve and not reason:
        raise DomainError("reason_required", _("Give a reason for the rejection; it is kept for the editors."))
    if len(reason) > REJECTION_REASON_LIMIT:
        raise DomainError("reason_too_long", _("Keep the reason under 500 characters."))
    actions = _moderated_actions(actor, action_ids)
    target = SolidarityAction.Status.APPROVED if approve else SolidarityAction.Status.REJECTED
    changed = 0
    changed_statements: set[int] = set()
    now = timezone.now()
    with transaction.atomic():
        for action in actions:
            # Conditional, so that of two editors deciding at once exactly one decides.
            won = SolidarityAction.objects.filter(
                pk=action.pk, status=SolidarityAction.Status.AWAITING_MODERATION
            ).update(
                status=target,
                reviewed_by=actor,
                reviewed_at=now,
                rejection_reason="" if approve else reason,
                updated_at=now,
            )
            if not won:
                continue
            changed += 1
            changed_statements.add(action.statement_id)
            photo_deleted = False if approve else _photo_drop(action.pk)
            audit.record(
                actor=actor,
                action="solidarity_action.approved" if approve else "solidarity_action.rejected",
                subject=action,
                detail={"statement": action.statement_id}
                | ({} if approve else {"reason": reason, "photo_deleted": photo_deleted}),
            )
            _mail_outcome(action, approved=approve)
    if approve:
        for statement_id in changed_statements:
            forget_action_summary(statement_id)
    return ModerationOutcome(changed=changed, skipped=len(actions) - changed)


def actions_approve(*, actor: User, action_ids: Iterable[int]) -> ModerationOutcome:
    """Publishes the chosen actions that still wait for review."""
    return _decide(actor=actor, action_ids=action_ids, approve=True)


def actions_reject(*, actor: User, action_ids: Iterable[int], reason: str) -> ModerationOutcome:
    """Rejects the chosen actions that still wait for review. The reason is required and kept for
    the editors and the audit; no page shows it and nobody is mailed it."""
    return _decide(actor=actor, action_ids=action_ids, approve=False, reason=reason)


def description_problem(description: str) -> str | None:
    """What is wrong with an edited description, in words for the editor; None when nothing is."""
    if not description.strip():
        return _("Describe the action in a few lines.")
    if len(description.strip()) > DESCRIPTION_LIMIT:
        return ngettext(
            "Keep the description to %(limit)d character or fewer (it has %(count)d).",
            "Keep the description to %(limit)d characters or fewer (it has %(count)d).",
            DESCRIPTION_LIMIT,
        ) % {"limit": DESCRIPTION_LIMIT, "count": len(description.strip())}
    return None


def action_edit_description(*, actor: User, action: SolidarityAction, description: str) -> SolidarityAction:
    """An editor corrects the description of an action waiting for review or shown (to take out a
    name that puts someone at risk, say). Raises ``forbidden`` outside the statements ``actor``
    moderates, ``not_editable`` for a rejected or withdrawn action, ``invalid`` for a bad text."""
    if not can_moderate_statement(actor, action.statement):
        raise DomainError("forbidden", _("You can review only the actions of statements you moderate."), status=403)
    problem = description_problem(description)
    if problem:
        raise DomainError("invalid", problem, detail={"fields": {"description": problem}})
    description = description.strip()
    with transaction.atomic():
        # The status is read again under the lock: a decision taken meanwhile wins.
        locked = SolidarityAction.objects.select_for_update().get(pk=action.pk)
        if locked.status not in EDITABLE_STATUSES:
            raise DomainError("not_editable", _("This action is no longer waiting for review or shown."), status=409)
        if locked.description == description:
            return locked
        locked.description = description
        locked.save(update_fields=["description", "updated_at"])
        # The texts themselves are not kept in the audit: a correction may be removing a name.
        audit.record(
            actor=actor,
            action="solidarity_action.description_edited",
            subject=locked,
            detail={"statement": locked.statement_id, "status": locked.status},
        )
    return locked


# --- Photos: an editor blurs or removes one ------------------------------------------------------


def action_photo_blur(*, actor: User, action: SolidarityAction) -> SolidarityAction:
    """Replaces the photo of an action waiting for review or shown with the same photo blurred all
    over (when someone in it could be recognised). The unblurred image is deleted unless another
    action shows it; its address then answers "not found"."""
    return _change_photo(actor=actor, action=action, blur=True)


def action_photo_remove(*, actor: User, action: SolidarityAction) -> SolidarityAction:
    """Takes the photo off an action waiting for review or shown; the image is deleted unless
    another action shows it."""
    return _change_photo(actor=actor, action=action, blur=False)


def _change_photo(*, actor: User, action: SolidarityAction, blur: bool) -> SolidarityAction:
    if not can_moderate_statement(actor, action.statement):
        raise DomainError("forbidden", _("You can review only the actions of statements you moderate."), status=403)
    with transaction.atomic():
        # Status and photo read again under the lock: a decision or a change made meanwhile wins.
        locked = SolidarityAction.objects.select_for_update(of=("self",)).select_related("photo").get(pk=action.pk)
        if locked.status not in EDITABLE_STATUSES:
            raise DomainError("not_editable", _("This action is no longer waiting for review or shown."), status=409)
        old = locked.photo
        if old is None:
            raise DomainError("no_photo", _("This action has no photo any more."), status=409)
        locked.photo = photo_store(blurred(old)) if blur else None
        locked.save(update_fields=["photo", "updated_at"])
        _photo_delete_if_unshown(old.pk)
        audit.record(
            actor=actor,
            action="solidarity_action.photo_blurred" if blur else "solidarity_action.photo_removed",
            subject=locked,
            detail={"statement": locked.statement_id, "status": locked.status},
        )
    return locked


# --- Reports by organisations that are not members ----------------------------------------------


@dataclass(frozen=True)
class ReporterInput:
    """Who reports, when the organisation is not a member: the organisation as it names itself, and
    its contact person."""

    organisation_name: str
    contact_name: str
    contact_role: str
    contact_email: str
    organisation_website: str = ""


# The public form's timer (``core.bot_check``): a form sent back faster than a person fills it in is refused.
ACTION_FORM_TIMER = FormTimer(salt="undersigned.actions.form-started")


def open_report_refusal(*, statement: Statement, started: str, honeypot: str) -> DomainError | None:
    """The first rules of the public form, which need none of its fields: the statement takes
    reports, and a person, not a script, filled the form in."""
    if statement.status not in REPORTABLE_STATUSES:
        return DomainError("not_open", _("This statement does not take reports of actions."), status=410)
    return ACTION_FORM_TIMER.refusal(started=started, honeypot=honeypot)


def _reporter_problems(reporter: ReporterInput) -> tuple[dict[str, str], ReporterInput]:
    """What is wrong with who reports, by field; and the values as they would be stored."""
    problems: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field, label in (
        ("organisation_name", _("The organisation's name")),
        ("contact_name", _("The contact's name")),
    ):
        try:
            cleaned[field] = check_name(getattr(reporter, field), str(label))
        except DomainError as error:
            problems[field] = error.message
            continue
        if not cleaned[field]:
            problems[field] = _("This field is required.")
    try:
        cleaned["contact_role"] = check_plain(reporter.contact_role, str(_("The role")))
    except DomainError as error:
        problems["contact_role"] = error.message
    if reporter.organisation_website and not link_is_http(reporter.organisation_website):
        problems["organisation_website"] = _("Give a web address that starts with http:// or https://.")
    try:
        rehash_address(reporter.contact_email)
    except InvalidAddressError:
        problems["contact_email"] = _("Enter a complete email address, like name@example.org.")
    if problems:
        return problems, reporter
    return {}, ReporterInput(
        organisation_name=cleaned["organisation_name"],
        contact_name=cleaned["contact_name"],
        contact_role=cleaned["contact_role"],
        contact_email=reporter.contact_email.strip(),
        organisation_website=reporter.organisation_website.strip(),
    )


def _statement_title(statement: Statement, language: str) -> str:
    chosen = choose_text(
        published_texts(statement), original_language=statement.original_language, preferences=[language]
    )
    return chosen.revision.title if chosen is not None else statement.slug


def _links(action: SolidarityAction) -> dict[str, str]:
    ref = ActionRef(action_id=action.pk, statement_id=action.statement_id)
    return {
        "confirm_url": settings.SITE_URL + reverse("actions:confirm", args=[confirm_action_token(ref)]),
        "withdraw_url": settings.SITE_URL + reverse("actions:withdraw", args=[withdraw_action_token(ref)]),
        "list_url": settings.SITE_URL + reverse("actions:list", args=[action.statement.slug]),
    }


def _mail_contact(action: SolidarityAction, template: str, to: str) -> None:
    language = action.language or "en"
    with translation.override(language):
        kind = str(SolidarityAction.Kind(action.kind).label)
    mail_enqueue(
        name=template,
        to=to,
        language=language,
        context={
            "statement_title": _statement_title(action.statement, language),
            "organisation": action.organisation_name,
            "kind": kind,
            "city": action.city,
            "date": action.date.isoformat(),
            **_links(action),
        },
    )


def _same_report(statement: Statement, hashed: str, data: ActionInput) -> SolidarityAction | None:
    """The report this contact already sent for this statement, kind, day and city and has not
    confirmed yet: the same form sent again."""
    city = " ".join(data.city.split())
    return (
        SolidarityAction.objects.select_related("statement")
        .filter(
            statement=statement,
            contact_email_hash=hashed,
            status=SolidarityAction.Status.PENDING,
            kind=data.kind,
            date=data.date,
            city__iexact=city,
        )
        .first()
    )


def action_report_by_organisation(
    *,
    statement: Statement,
    reporter: ReporterInput,
    data: ActionInput,
    started: str,
    honeypot: str,
    network_hash: str,
    language: str,
    today: dt.date | None = None,
) -> SolidarityAction:
    """An organisation that is not a member reports an action through the public form. Every rule,
    for every way in: the statement takes reports, a person filled the form in, the fields are
    right, the network's and the address's limits hold, the photo is an image. Raises
    ``DomainError`` (``invalid`` with the problems by field in ``detail["fields"]``) and stores
    nothing when a rule is broken; else stores the report, waiting for its contact's confirmation,
    and mails the contact the link. The same report sent again before it is confirmed mails the
    link again (a few times at most) and is returned as it was."""
    refusal = open_report_refusal(statement=statement, started=started, honeypot=honeypot)
    if refusal is not None:
        raise refusal
    problems, reporter = _reporter_problems(reporter)
    problems |= action_input_problems(data, statement=statement, today=today or timezone.localdate())
    if problems:
        raise DomainError("invalid", next(iter(problems.values())), detail={"fields": problems})
    network = network_hash[:32]
    refused_by = ratelimit.count_hits(
        (
            ("action_report.network.statement", f"{network}:{statement.pk}"),
            ("action_report.network", network),
            recipient_check(reporter.contact_email),
        )
    ).refused_by
    if refused_by == ("mail.recipient.daily",):
        raise too_many_mails()
    if refused_by:
        raise DomainError("too_many", _("Too many reports from your network. Please try again later."), status=429)
    hashed = contact_email_hash(reporter.contact_email)
    existing = _same_report(statement, hashed, data)
    if existing is not None:
        if existing.mailed_at is not None and existing.mailed_at < timezone.now() - dt.timedelta(days=CONFIRM_DAYS):
            # Every link sent has expired: the report is sent as if for the first time.
            SolidarityAction.objects.filter(pk=existing.pk).update(mails_sent=0)
            existing.mails_sent = 0
        if existing.mails_sent < MAX_MAILS_PER_REPORT and not mailed_just_now(existing.mailed_at):
            with transaction.atomic():
                _mail_contact(existing, "action_confirm", reporter.contact_email)
                SolidarityAction.objects.filter(pk=existing.pk).update(
                    mails_sent=F("mails_sent") + 1, mailed_at=timezone.now()
                )
        return existing
    photo: ProcessedPhoto | None = None
    if data.photo is not None:
        try:
            photo = process_photo(data.photo)
        except PhotoError as error:
            raise DomainError("invalid", error.message, detail={"fields": {"photo": error.message}}) from None
    now = timezone.now()
    sealed, sealed_to = seal_contact_record(
        {
            "statement": statement.slug,
            "organisation": reporter.organisation_name,
            "name": reporter.contact_name,
            "role": reporter.contact_role,
            "email": reporter.contact_email,
            "reported_action_at": now.isoformat(),
        },
        statement.commission_id,
    )
    with transaction.atomic():
        action = SolidarityAction.objects.create(
            statement=statement,
            organisation=None,
            organisation_name=reporter.organisation_name,
            organisation_website=reporter.organisation_website,
            kind=data.kind,
            date=data.date,
            city=" ".join(data.city.split()),
            country=data.country,
            description=data.description.strip(),
            description_language=data.description_language,
            link=data.link,
            participants=data.participants,
            photo=photo_store(photo) if photo is not None else None,
            status=SolidarityAction.Status.PENDING,
            contact_email_hash=hashed,
            sealed_contact=sealed,
            sealed_to=sealed_to,
            notice_address=server_encrypt(reporter.contact_email.encode("utf-8")),
            language=language,
            network_hash=network_hash,
            mails_sent=1,
            mailed_at=now,
        )
        audit.record(
            actor=None,
            action="solidarity_action.reported",
            subject=action,
            detail={
                "statement": statement.pk,
                "organisation": None,
                "status": action.status,
                "without_review": False,
                "photo": photo is not None,
            },
        )
        _mail_contact(action, "action_confirm", reporter.contact_email)
    return action


def action_confirm(*, action_id: int, statement_id: int) -> SolidarityAction:
    """The contact confirms the report: it goes to the editors. Confirming again changes nothing."""
    action = (
        SolidarityAction.objects.select_related("statement").filter(pk=action_id, statement_id=statement_id).first()
    )
    if action is None:
        raise DomainError("not_found", _("This report no longer exists."), status=404)
    if action.status == SolidarityAction.Status.WITHDRAWN:
        raise DomainError("withdrawn", _("This action was withdrawn. Report it again if you wish."), status=410)
    if action.status == SolidarityAction.Status.PENDING and action.statement.status not in REPORTABLE_STATUSES:
        raise DomainError("not_open", _("This statement does not take reports of actions."), status=410)
    now = timezone.now()
    changed = SolidarityAction.objects.filter(pk=action.pk, status=SolidarityAction.Status.PENDING).update(
        status=SolidarityAction.Status.AWAITING_MODERATION, confirmed_at=now, updated_at=now
    )
    if changed:
        audit.record(
            actor=None,
            action="solidarity_action.confirmed",
            subject=action,
            detail={"statement": action.statement_id},
        )
    action.refresh_from_db()
    return action


def _notice_address(action: SolidarityAction) -> str | None:
    if not action.notice_address:
        return None
    try:
        return server_decrypt(bytes(action.notice_address)).decode("utf-8")
    except InvalidToken:
        return None  # sealed under a data key no longer configured: the outcome is not mailed


def _mail_outcome(action: SolidarityAction, *, approved: bool) -> None:
    """Tells the contact of an organisation that is not a member what the editors decided, then
    forgets the address. The rejection's reason is the editors' and is not mailed."""
    if not action.by_member:
        # Read again under the lock: an erasure or a purge since the row was read has forgotten it.
        stored = (
            SolidarityAction.objects.select_for_update()
            .filter(pk=action.pk)
            .values_list("notice_address", flat=True)
            .first()
        )
        action.notice_address = stored or b""
    if not action.notice_address:
        return  # a member's report, or a contact already forgotten: nobody to tell by mail
    address = _notice_address(action)
    SolidarityAction.objects.filter(pk=action.pk).update(notice_address=b"")
    if address:
        _mail_contact(action, "action_approved" if approved else "action_rejected", address)


# --- Withdrawal by the organisation --------------------------------------------------------------


def _withdraw(action_id: int, *, statement_id: int | None = None, organisation_ids: Iterable[int] = ()) -> bool:
    """Takes the action off the statement, with its photo and its contact's sealed details. True if
    it changed; False if it was already rejected or withdrawn."""
    rows = SolidarityAction.objects.select_for_update(of=("self",)).select_related("photo")
    with transaction.atomic():
        if statement_id is not None:
            action = rows.filter(pk=action_id, statement_id=statement_id).first()
        else:
            action = rows.filter(pk=action_id, organisation_id__in=list(organisation_ids)).first()
        if action is None:
            raise DomainError("not_found", _("This action was not found among yours."), status=404)
        if action.status not in WITHDRAWABLE_STATUSES:
            return False
        was_shown = action.status == SolidarityAction.Status.APPROVED
        SolidarityAction.objects.filter(pk=action.pk).update(
            status=SolidarityAction.Status.WITHDRAWN,
            withdrawn_at=timezone.now(),
            sealed_contact=b"",
            notice_address=b"",
            updated_at=timezone.now(),
        )
        _photo_drop(action.pk)
        audit.record(
            actor=None,
            action="solidarity_action.withdrawn",
            subject=action,
            detail={"statement": action.statement_id, "was": action.status, "by_member": action.by_member},
        )
    if was_shown:
        forget_action_summary(action.statement_id)
    return True


def _photo_drop(action_id: int) -> bool:
    """Takes the photo off the action and deletes the image unless another action shows it; True
    if there was one. The caller holds the transaction (and the action's row)."""
    photo_id = SolidarityAction.objects.filter(pk=action_id).values_list("photo_id", flat=True).first()
    if photo_id is None:
        return False
    SolidarityAction.objects.filter(pk=action_id).update(photo=None)
    _photo_delete_if_unshown(photo_id)
    return True


def _photo_delete_if_unshown(photo_id: str) -> None:
    """Deletes the stored image unless another action still has it (the same photo sent twice is
    stored once, by its hash)."""
    if not SolidarityAction.objects.filter(photo_id=photo_id).exists():
        ActionPhoto.objects.filter(pk=photo_id).delete()


def unconfirmed_reports_delete(*, now: dt.datetime) -> int:
    """Deletes the reports whose contact never confirmed, once every link sent for them has
    expired, with their photos and sealed contacts: nobody can confirm them any more, and the
    address the server kept to mail the outcome must not stay for nothing. How many."""
    expired = SolidarityAction.objects.filter(
        status=SolidarityAction.Status.PENDING,
        organisation__isnull=True,
        mailed_at__lt=now - dt.timedelta(days=CONFIRM_DAYS),
    )
    deleted = 0
    with transaction.atomic():
        for action_id, photo_id in expired.select_for_update().values_list("pk", "photo_id"):
            SolidarityAction.objects.filter(pk=action_id).delete()
            if photo_id is not None:
                _photo_delete_if_unshown(photo_id)
            deleted += 1
    return deleted


def action_withdraw_by_link(*, action_id: int, statement_id: int) -> bool:
    """The contact of an organisation that is not a member withdraws its report, from their mail's link."""
    return _withdraw(action_id, statement_id=statement_id)


def action_withdraw_by_member(*, email: str, action_id: int) -> bool:
    """A signed-in contact withdraws one of their organisations' actions (an organisation that has
    since left the federation included); an action of any other organisation is not found."""
    return _withdraw(action_id, organisation_ids=[item.pk for item in contact_organisations_for(email)])
