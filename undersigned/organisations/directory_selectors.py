"""Reads of the member directory: the public list of member organisations and the secretariat's
pages. Nothing here reads a contact's sealed details; the staff pages show only that a contact
exists and when it was verified."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django_countries import countries

from undersigned.organisations.models import Organisation, OrganisationContact, OrganisationType, SignOn
from undersigned.organisations.services.names import normalise_organisation_name
from undersigned.organisations.types import BUILTIN_NAMES, type_label

# Longer searches are cut to this length by the filter forms: no name is longer than 200
# characters, and a query of kilobytes should cost the database no more than a short one.
MAX_SEARCH_LENGTH = 100
# The public page is one list grouped by country, not paged; a federation larger than this is
# asked to search or filter, and the page says so.
MAX_PUBLIC_ENTRIES = 2000


def _matching(organisations: QuerySet[Organisation], search: str) -> QuerySet[Organisation]:
    """Organisations whose name or short name contains ``search``; the normalised name also finds
    "Bibliotheque" for "Bibliothèque" and ignores case in every script (SQLite's LIKE folds ASCII only)."""
    if not search:
        return organisations
    condition = Q(name__icontains=search) | Q(short_name__icontains=search)
    normalised = normalise_organisation_name(search)
    if normalised:
        condition |= Q(normalised_name__contains=normalised)
    return organisations.filter(condition)


def country_sort_key(name: str) -> str:
    """A country's name as compared for sorting: accents and case ignored. django-countries sorts
    by ASCII letters only unless pyuca is installed, which puts Arabic names in no order at all;
    code point order is alphabetical order within the Arabic script."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).casefold()


def _country_names(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) in the interface language, sorted by name."""
    named = [(code, str(countries.name(code)) or code) for code in codes]
    return sorted(named, key=lambda pair: (country_sort_key(pair[1]), pair[0]))


def countries_in_directory(*, members_only: bool) -> list[tuple[str, str]]:
    """(code, name) of the countries that have an organisation in the directory (only member
    organisations when ``members_only``), sorted by name in the interface language."""
    organisations = Organisation.objects.filter(is_member=True) if members_only else Organisation.objects.all()
    return _country_names(set(organisations.order_by().values_list("country", flat=True).distinct()))


# --- The public list of member organisations ----------------------------------------------------


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    short_name: str
    type_label: str
    website: str
    website_label: str
    logo_sha256: str
    member_since: date | None
    description: str


@dataclass(frozen=True)
class DirectoryCountry:
    code: str
    name: str
    entries: list[DirectoryEntry]


@dataclass(frozen=True)
class MemberDirectory:
    countries: list[DirectoryCountry]
    total: int
    truncated: bool


def _website_label(url: str) -> str:
    """The address as people read it: without the scheme or a trailing slash."""
    return url.partition("://")[2].removesuffix("/") or url


def member_directory(*, search: str = "", country: str = "") -> MemberDirectory:
    """The member organisations, grouped by country (in the interface language's order of country
    names), then by name. Only public fields are read: no contact, no email domain."""
    members = _matching(Organisation.objects.filter(is_member=True), search)
    if country:
        members = members.filter(country=country)
    rows = list(
        members.select_related("type")
        .only(
            "name",
            "short_name",
            "country",
            "type",
            "website",
            "logo",
            "member_since",
            "description",
        )
        .order_by("normalised_name", "pk")[: MAX_PUBLIC_ENTRIES + 1]
    )
    truncated = len(rows) > MAX_PUBLIC_ENTRIES
    grouped: dict[str, list[DirectoryEntry]] = defaultdict(list)
    for organisation in rows[:MAX_PUBLIC_ENTRIES]:
        grouped[str(organisation.country)].append(
            DirectoryEntry(
                name=organisation.name,
                short_name=organisation.short_name,
                type_label=type_label(organisation.type),
                website=organisation.website,
                website_label=_website_label(organisation.website),
                logo_sha256=organisation.logo_id or "",
                member_since=organisation.member_since,
                description=organisation.description,
            )
        )
    groups = [DirectoryCountry(code=code, name=name, entries=grouped[code]) for code, name in _country_names(grouped)]
    return MemberDirectory(countries=groups, total=min(len(rows), MAX_PUBLIC_ENTRIES), truncated=truncated)


# --- The secretariat's pages --------------------------------------------------------------------


def organisation_list_for_staff(*, search: str = "", country: str = "", membership: str = "") -> QuerySet[Organisation]:
    """The directory for the secretariat, by name. ``membership``: "members", "others" or "" (all)."""
    organisations = _matching(Organisation.objects.select_related("type"), search)
    if country:
        organisations = organisations.filter(country=country)
    if membership == "members":
        organisations = organisations.filter(is_member=True)
    elif membership == "others":
        organisations = organisations.filter(is_member=False)
    return organisations.order_by("normalised_name", "pk")


def organisation_for_staff(pk: int) -> Organisation | None:
    return Organisation.objects.select_related("type").filter(pk=pk).first()


@dataclass(frozen=True)
class ContactSummary:
    """What the server can say about a contact: that it exists and whether it was verified."""

    pk: int
    number: int
    verified_at: datetime | None


def organisation_contacts(organisation_id: int) -> list[ContactSummary]:
    """The organisation's contacts, numbered in the order they were added. The sealed details are
    not even loaded: only the trustees can open them."""
    rows = (
        OrganisationContact.objects.filter(organisation_id=organisation_id)
        .order_by("created_at", "pk")
        .values_list("pk", "verified_at")
    )
    return [
        ContactSummary(pk=pk, number=number, verified_at=verified_at)
        for number, (pk, verified_at) in enumerate(rows, 1)
    ]


def contact_of(organisation_id: int, contact_pk: int) -> OrganisationContact | None:
    return (
        OrganisationContact.objects.select_related("organisation")
        .filter(organisation_id=organisation_id, pk=contact_pk)
        .first()
    )


def approved_sign_on_count(organisation_id: int) -> int:
    return SignOn.objects.filter(organisation_id=organisation_id, status=SignOn.Status.APPROVED).count()


@dataclass(frozen=True)
class TypeSummary:
    code: str
    label: str
    is_builtin: bool


def organisation_types() -> list[TypeSummary]:
    return [
        TypeSummary(
            code=kind.code,
            label=type_label(kind),
            is_builtin=BUILTIN_NAMES.get(kind.code) == kind.name,
        )
        for kind in OrganisationType.objects.order_by("position", "name")
    ]
