"""Solidarity actions as the public pages show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.actions.models import SolidarityAction
from undersigned.actions.selectors import action_summary, is_planned
from undersigned.core.languages import language_direction
from undersigned.statements.presentation import long_date


@dataclass(frozen=True)
class PublicPhoto:
    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class PublicAction:
    organisation: str
    kind: str
    date: dt.date
    date_label: str
    planned: bool
    city: str
    country_name: str
    description: str
    description_language: str
    description_direction: str
    link: str
    participants: int | None
    photo: PublicPhoto | None

    @property
    def link_host(self) -> str:
        host = urlsplit(self.link).hostname or ""
        return host.removeprefix("www.")


def public_actions(actions: list[SolidarityAction], *, today: dt.date, language: str) -> list[PublicAction]:
    return [
        PublicAction(
            organisation=action.organisation_shown,
            kind=str(SolidarityAction.Kind(action.kind).label),
            date=action.date,
            date_label=long_date(action.date, language),
            planned=is_planned(action, today),
            city=action.city,
            country_name=str(action.country.name),
            description=action.description,
            description_language=action.description_language,
            description_direction=language_direction(action.description_language)
            if action.description_language
            else "auto",
            link=action.link,
            participants=action.participants,
            photo=_public_photo(action),
        )
        for action in actions
    ]


def _public_photo(action: SolidarityAction) -> PublicPhoto | None:
    if action.photo is None:
        return None
    return PublicPhoto(
        url=reverse("actions:photo", args=[action.photo.sha256]),
        width=action.photo.width,
        height=action.photo.height,
        # What the photo is of, as far as the page knows it; the description follows it.
        alt=_("Photo of the action: %(kind)s, %(city)s, %(country)s")
        % {"kind": SolidarityAction.Kind(action.kind).label, "city": action.city, "country": action.country.name},
    )


@dataclass(frozen=True)
class StatementActions:
    total: int
    text: str


def statement_actions(statement_id: int) -> StatementActions:
    """The statement page's line on actions: "N actions in M countries"."""
    summary = action_summary(statement_id)
    return StatementActions(total=summary.actions, text=actions_in_countries(summary.actions, summary.countries))


def actions_in_countries(actions: int, countries: int) -> str:
    """The line "N actions in M countries", in the active language."""
    actions_text = ngettext("%(count)d action", "%(count)d actions", actions) % {"count": actions}
    countries_text = ngettext("%(count)d country", "%(count)d countries", countries) % {"count": countries}
    return _("%(actions)s in %(countries)s") % {"actions": actions_text, "countries": countries_text}
