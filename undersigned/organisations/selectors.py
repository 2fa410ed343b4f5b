"""Reads of the directory and of sign-ons: the public list under a statement, its counts, and the
review queue with its duplicate flags."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from django.db.models import Count, Q, QuerySet, Sum
from django_countries import countries

from undersigned.accounts.models import User
from undersigned.core.caching import cached
from undersigned.organisations.models import Organisation, OrganisationType, SignOn, SignOnTally
from undersigned.organisations.types import type_label
from undersigned.permissions.roles import Capability, commissions_where

# Shown on the statement page, which says its counts are at most 5 s old (see signatures.tallies).
CACHE_SECONDS = 2
T = TypeVar("T")


# --- The public list and its counts -------------------------------------------------------------


@dataclass(frozen=True)
class PublicSignOn:
    name: str
    website: str
    type_label: str
    logo_sha256: str
    is_member: bool


@dataclass(frozen=True)
class CountryGroup:
    code: str
    name: str
    sign_ons: list[PublicSignOn]


@dataclass(frozen=True)
class SignOnCount:
    total: int
    by_country: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, count
    by_type: list[tuple[str, int]] = field(default_factory=list)  # label, count


def sign_on_count(statement_id: int) -> SignOnCount:
    """Approved sign-ons, from the counters (never a count of rows). Labels in the active language."""
    by_country: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for country, type_code, type_name, approved in _counters(statement_id):
        by_country[country] += approved
        by_type[type_label(OrganisationType(code=type_code, name=type_name))] += approved
    return SignOnCount(
        total=sum(by_country.values()),
        by_country=sorted(
            ((code, str(countries.name(code)) or code, count) for code, count in by_country.items() if count),
            key=lambda row: (-row[2], row[1]),
        ),
        by_type=sorted(
            ((label, count) for label, count in by_type.items() if count), key=lambda row: (-row[1], row[0])
        ),
    )


def tally_cache_key(statement_id: int) -> str:
    return f"sign-on-tally:{statement_id}"


def list_cache_key(statement_id: int) -> str:
    return f"sign-on-list:{statement_id}"


def _cached(key: str, read: Callable[[], T]) -> T:
    return cached(key, CACHE_SECONDS, read)


def _counters(statement_id: int) -> list[tuple[str, str, str, int]]:
    """(country, type code, type name, approved) of the statement's non-zero counters, cached."""
    return _cached(
        tally_cache_key(statement_id),
        lambda: [
            (row.country, row.type.code, row.type.name, int(row.approved))
            for row in SignOnTally.objects.filter(statement_id=statement_id, approved__gt=0).select_related("type")
        ],
    )


def _approved_rows(statement_id: int, *, fresh: bool = False) -> list[tuple[str, PublicSignOn, str, str]]:
    """(country, sign-on, type code, type name) of the approved sign-ons by name, cached."""

    def read() -> list[tuple[str, PublicSignOn, str, str]]:
        rows = (
            SignOn.objects.filter(statement_id=statement_id, status=SignOn.Status.APPROVED)
            .select_related("type", "organisation")
            .order_by("normalised_name", "pk")
        )
        return [
            (
                str(sign_on.country),
                PublicSignOn(
                    name=sign_on.name,
                    website=sign_on.website,
                    type_label="",
                    logo_sha256=sign_on.logo_id or "",
                    is_member=bool(sign_on.organisation and sign_on.organisation.is_member),
                ),
                sign_on.type.code,
                sign_on.type.name,
            )
            for sign_on in rows
        ]

    return cached(list_cache_key(statement_id), CACHE_SECONDS, read, fresh=fresh)


def approved_sign_ons(statement_id: int, *, fresh: bool = False) -> list[CountryGroup]:
    """The approved sign-ons grouped by country (named and sorted in the active language), then by
    name; ``fresh`` reads them now rather than from the cache (and refreshes it)."""
    groups: dict[str, list[PublicSignOn]] = defaultdict(list)
    for country, sign_on, type_code, type_name in _approved_rows(statement_id, fresh=fresh):
        label = type_label(OrganisationType(code=type_code, name=type_name))
        groups[country].append(replace(sign_on, type_label=label))
    named = [
        CountryGroup(code=code, name=str(countries.name(code)) or code, sign_ons=items)
        for code, items in groups.items()
    ]
    return sorted(named, key=lambda group: group.name)


def sign_on_tally_differences() -> list[tuple[int, str, int, int]]:
    """(statement, country, counted, rows) wherever the counters disagree with the approved rows."""
    counters: Counter[tuple[int, str]] = Counter()
    for row in SignOnTally.objects.values("statement_id", "country").annotate(approved=Sum("approved")).order_by():
        counters[(row["statement_id"], row["country"])] += int(row["approved"])
    actual: Counter[tuple[int, str]] = Counter()
    for row in (
        SignOn.objects.filter(status=SignOn.Status.APPROVED)
        .values("statement_id", "country")
        .annotate(rows=Count("pk"))
        .order_by()
    ):
        actual[(row["statement_id"], row["country"])] += int(row["rows"])
    return [
        (key[0], key[1], counters.get(key, 0), actual.get(key, 0))
        for key in sorted(set(counters) | set(actual))
        if counters.get(key, 0) != actual.get(key, 0)
    ]


# --- The review queue ---------------------------------------------------------------------------


def reviewable_sign_ons(actor: User) -> QuerySet[SignOn]:
    """Sign-ons of the statements ``actor`` moderates: all for the secretariat, else their commissions'."""
    sign_ons = SignOn.objects.select_related("statement", "type", "organisation")
    if actor.is_secretariat:
        return sign_ons
    return sign_ons.filter(statement__commission_id__in=commissions_where(actor, Capability.MODERATE))


@dataclass(frozen=True)
class QueueEntry:
    sign_on: SignOn
    type_label: str
    flags: list[str]


def review_queue(actor: User, *, status: str, statement_id: int | None) -> list[QueueEntry]:
    """Sign-ons in ``status``, oldest first, each with what makes it look like a duplicate."""
    from django.utils.translation import gettext as _

    entries = reviewable_sign_ons(actor).filter(status=status)
    if statement_id is not None:
        entries = entries.filter(statement_id=statement_id)
    sign_ons = list(entries.order_by("confirmed_at", "created_at", "pk")[:500])
    statements = {sign_on.statement_id for sign_on in sign_ons}
    others = list(
        SignOn.objects.filter(statement_id__in=statements, status__in=SignOn.ACTIVE_STATUSES).values(
            "pk", "statement_id", "normalised_name", "country", "website_domain", "status"
        )
    )
    domains = {sign_on.website_domain for sign_on in sign_ons if sign_on.website_domain}
    names = {sign_on.normalised_name for sign_on in sign_ons}
    directory = list(
        Organisation.objects.filter(Q(normalised_name__in=names) | Q(website_domain__in=domains)).values(
            "pk", "name", "normalised_name", "country", "website_domain", "is_member"
        )
    )
    result = []
    for sign_on in sign_ons:
        flags = []
        for other in others:
            if other["pk"] == sign_on.pk or other["statement_id"] != sign_on.statement_id:
                continue
            if other["normalised_name"] == sign_on.normalised_name and other["country"] == str(sign_on.country):
                flags.append(_("Same name and country as another sign-on to this statement."))
            elif sign_on.website_domain and other["website_domain"] == sign_on.website_domain:
                flags.append(
                    _("Same website as another sign-on to this statement (%(domain)s).")
                    % {"domain": sign_on.website_domain}
                )
            elif other["normalised_name"] == sign_on.normalised_name:
                flags.append(_("Same name as a sign-on from another country."))
        for entry in directory:
            if entry["pk"] == sign_on.organisation_id:
                continue
            if entry["normalised_name"] == sign_on.normalised_name or (
                sign_on.website_domain and entry["website_domain"] == sign_on.website_domain
            ):
                flags.append(_("Looks like %(name)s in the directory.") % {"name": entry["name"]})
        result.append(
            QueueEntry(sign_on=sign_on, type_label=type_label(sign_on.type), flags=list(dict.fromkeys(flags)))
        )
    return result


def queue_counts(actor: User) -> dict[str, int]:
    rows = reviewable_sign_ons(actor).values("status").annotate(count=Count("pk")).order_by()
    return {row["status"]: int(row["count"]) for row in rows}


def sign_on_status_counts(*, statement_ids: list[int]) -> dict[int, dict[str, int]]:
    """Sign-ons of each statement by status (every status present, 0 when none), in one query."""
    counts = {statement_id: dict.fromkeys(SignOn.Status.values, 0) for statement_id in statement_ids}
    rows = (
        SignOn.objects.filter(statement_id__in=statement_ids)
        .values_list("statement_id", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for statement_id, status, count in rows:
        counts[statement_id][status] = count
    return counts
