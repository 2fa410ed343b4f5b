"""Reads of solidarity actions: for the public pages (the count on the statement page and the list)
and for the editors' review queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import Coalesce
from django_countries import countries

from undersigned.accounts.models import User
from undersigned.actions.models import SolidarityAction
from undersigned.core.caching import CACHE_ERRORS, cached
from undersigned.permissions.roles import Capability, commissions_where
from undersigned.statements.models import Statement

# The statement page reads the count from the cache; a report that is published at once forgets it.
SUMMARY_CACHE_SECONDS = 30


@dataclass(frozen=True)
class ActionSummary:
    actions: int
    countries: int


@dataclass(frozen=True)
class ActionCountry:
    code: str
    name: str
    actions: int


def _summary_key(statement_id: int) -> str:
    return f"action-summary:{statement_id}"


def approved_actions(statement_id: int) -> QuerySet[SolidarityAction]:
    return SolidarityAction.objects.filter(statement_id=statement_id, status=SolidarityAction.Status.APPROVED)


def action_countries(statement_id: int) -> list[ActionCountry]:
    """The countries with approved actions, named and sorted in the active language."""
    rows = approved_actions(statement_id).values("country").annotate(actions=Count("pk")).order_by()
    named = [
        ActionCountry(
            code=str(row["country"]),
            name=str(countries.name(row["country"])) or str(row["country"]),
            actions=int(row["actions"]),
        )
        for row in rows
    ]
    return sorted(named, key=lambda country: country.name)


def action_summary(statement_id: int) -> ActionSummary:
    """How many approved actions the statement has, in how many countries; cached for a while."""

    def read() -> tuple[int, int]:
        rows = list(approved_actions(statement_id).values("country").annotate(actions=Count("pk")).order_by())
        return sum(int(row["actions"]) for row in rows), len(rows)

    total, in_countries = cached(_summary_key(statement_id), SUMMARY_CACHE_SECONDS, read)
    return ActionSummary(actions=total, countries=in_countries)


def forget_action_summary(statement_id: int) -> None:
    try:
        cache.delete(_summary_key(statement_id))
    except CACHE_ERRORS:
        pass  # the count is then at most SUMMARY_CACHE_SECONDS old


def actions_for_list(statement_id: int, *, country: str | None = None) -> QuerySet[SolidarityAction]:
    """Approved actions, the latest date first, with their organisations' names and their photos'
    sizes (not the images, which are served on their own addresses)."""
    actions = (
        approved_actions(statement_id)
        .select_related("organisation", "photo")
        .defer("photo__image")
        .order_by("-date", "-pk")
    )
    if country:
        actions = actions.filter(country=country)
    return actions


@dataclass(frozen=True)
class ActionCounts:
    """Approved actions by kind (largest first) and how many countries they were in."""

    total: int
    countries: int
    by_kind: list[tuple[str, int]]


def action_counts(statement_id: int) -> ActionCounts:
    """Read now, uncached: for the API and the signed statement, which read inside one snapshot."""
    rows = list(approved_actions(statement_id).values("kind", "country").annotate(actions=Count("pk")).order_by())
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + int(row["actions"])
    return ActionCounts(
        total=sum(by_kind.values()),
        countries=len({row["country"] for row in rows}),
        by_kind=sorted(by_kind.items(), key=lambda item: (-item[1], item[0])),
    )


def actions_for_feed(
    *, statement_id: int | None = None, commission_slug: str | None = None
) -> QuerySet[SolidarityAction]:
    """Approved actions of public statements, the latest published first: of one statement, or of
    one issuing body's statements ("federation" for the federation's own, None for all)."""
    actions = SolidarityAction.objects.filter(
        status=SolidarityAction.Status.APPROVED,
        statement__status__in=[Statement.Status.PUBLISHED, Statement.Status.CLOSED],
    )
    if statement_id is not None:
        actions = actions.filter(statement_id=statement_id)
    if commission_slug == "federation":
        actions = actions.filter(statement__commission__isnull=True)
    elif commission_slug:
        actions = actions.filter(statement__commission__slug=commission_slug)
    published = Coalesce("reviewed_at", "created_at")
    return (
        actions.select_related("organisation", "statement").annotate(published=published).order_by("-published", "-pk")
    )


def actions_of_organisations(organisation_ids: list[int]) -> list[SolidarityAction]:
    """The actions these organisations reported, newest report first, whatever their state (a
    member's contact sees what waits, what is shown and what was withdrawn)."""
    return list(
        SolidarityAction.objects.filter(organisation_id__in=organisation_ids)
        .select_related("statement", "organisation")
        .order_by("-created_at", "-pk")[:QUEUE_LIMIT]
    )


def is_planned(action: SolidarityAction, today: dt.date) -> bool:
    """A planned action is one dated after today; it reads as held from its day on."""
    return action.date > today


# The queue shows the oldest first and at most this many; the rest come as those are decided.
QUEUE_LIMIT = 200


def moderated_actions(actor: User) -> QuerySet[SolidarityAction]:
    """Actions of the statements ``actor`` moderates: all for the secretariat, else their
    commissions' (the rule of the sign-on queue)."""
    actions = SolidarityAction.objects.all()
    if actor.is_secretariat:
        return actions
    return actions.filter(statement__commission_id__in=commissions_where(actor, Capability.MODERATE))


def action_queue(actor: User) -> list[SolidarityAction]:
    """The actions waiting for ``actor``'s review, oldest report first."""
    waiting = moderated_actions(actor).filter(status=SolidarityAction.Status.AWAITING_MODERATION)
    return list(
        waiting.select_related("statement", "organisation", "photo")
        .defer("photo__image")
        .order_by("created_at", "pk")[:QUEUE_LIMIT]
    )


def actions_awaiting_count(actor: User) -> int:
    return moderated_actions(actor).filter(status=SolidarityAction.Status.AWAITING_MODERATION).count()


def actions_with_photos_shown(actor: User) -> list[SolidarityAction]:
    """Approved actions with a photo, of the statements ``actor`` moderates, the latest report
    first: the editors may still blur or remove a photo once it is shown."""
    shown = moderated_actions(actor).filter(status=SolidarityAction.Status.APPROVED, photo__isnull=False)
    return list(
        shown.select_related("statement", "organisation", "photo")
        .defer("photo__image")
        .order_by("-created_at", "-pk")[:QUEUE_LIMIT]
    )
