"""Reporting solidarity actions. A member organisation's verified contact (signed in through the
emailed link of ``organisations.services.members``) reports what the organisation did or plans;
it is published at once when the issuing body lets members skip review, else it waits for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.actions.models import DESCRIPTION_LIMIT, PARTICIPANTS_LIMIT, SolidarityAction
from undersigned.actions.selectors import forget_action_summary
from undersigned.core import audit
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import is_content_language
from undersigned.organisations.models import Organisation
from undersigned.organisations.services.members import member_organisations_for, members_skip_review
from undersigned.statements.models import Statement

HTTP_URL = URLValidator(schemes=["http", "https"])
# A closed statement may still be acted on; a withdrawn one, or a draft, may not.
REPORTABLE_STATUSES = (Statement.Status.PUBLISHED, Statement.Status.CLOSED)
# How far ahead a planned action may be dated.
PLANNED_AHEAD_DAYS = 366


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
            },
        )
    if approve:
        forget_action_summary(statement.pk)
    return action
