"""Datelines of press releases: "12 October 2023", "October 12, 2023", "2023-10-12", "12/10/2023"
(day or month first as the text's language writes it), each optionally after a place and a comma and
followed by a dash: "PARIS, 12 October 2023 —". Month names are read in the text's language (from
the Unicode CLDR, through Babel) and in English; digits may be in any script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format, get_month_names
from babel.localedata import locale_identifiers
from django.utils import formats

from undersigned.core import process_caches

_DIGITS = r"\d"
# A place is anything up to the comma before the date: "Washington, D.C.," or "SAINT-DENIS (93),".
_PLACE = r"(?:(?P<place>[^\n]{1,120}?),\s*)?"
_TAIL = r"\s*(?:[—–-]\s*(?P<rest>.*))?$"
_ISO = re.compile(_PLACE + rf"(?P<year>{_DIGITS}{{4}})-(?P<month>{_DIGITS}{{1,2}})-(?P<day>{_DIGITS}{{1,2}})" + _TAIL)
_NUMERIC = re.compile(
    _PLACE + rf"(?P<first>{_DIGITS}{{1,2}})[/.](?P<second>{_DIGITS}{{1,2}})[/.](?P<year>{_DIGITS}{{4}})" + _TAIL
)
_DAY_MONTH = re.compile(
    _PLACE
    + rf"(?P<day>{_DIGITS}{{1,2}})(?:er|st|nd|rd|th|º|°|\.)?\s+(?:de\s+)?(?P<month_name>[^\W\d_]+\.?)"
    + rf",?\s+(?:de\s+|del\s+)?(?P<year>{_DIGITS}{{4}})"
    + _TAIL,
    re.IGNORECASE,
)
_CJK = re.compile(
    _PLACE + rf"(?P<year>{_DIGITS}{{4}})年(?P<month>{_DIGITS}{{1,2}})月(?P<day>{_DIGITS}{{1,2}})日" + _TAIL
)
_MONTH_DAY = re.compile(
    _PLACE
    + rf"(?P<month_name>[^\W\d_]+\.?)\s+(?P<day>{_DIGITS}{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>{_DIGITS}{{4}})"
    + _TAIL,
    re.IGNORECASE,
)


class NotARealDateError(ValueError):
    """The line is shaped like a dateline, but the date does not exist (31 February, month 13)."""


@dataclass(frozen=True)
class Dateline:
    date: date
    place: str
    rest: str  # text after the dash, when the first paragraph starts on the dateline's line


@process_caches.register_function(never_stale="keyed by a language code; the CLDR's month names ship with the code")
@lru_cache(maxsize=64)
def month_numbers(language: str) -> dict[str, int]:
    """Lower-cased month names (wide and abbreviated, with and without a final dot) to 1-12."""
    names: dict[str, int] = {}
    base = language.replace("-", "_").split("_")[0].lower()
    # Regional variants too: Levantine Arabic writes آذار where Egyptian Arabic writes مارس.
    locales = ["en", *(identifier for identifier in locale_identifiers() if identifier.split("_")[0] == base)]
    for locale in locales:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale=locale).items():
                    names[name.casefold().rstrip(".")] = number
    names["sept"] = 9
    return names


@process_caches.register_function(
    never_stale="keyed by a language code; the CLDR's and Django's date formats ship with the code"
)
@lru_cache(maxsize=64)
def day_comes_first(language: str) -> bool:
    """Whether "03/04/2025" is the 3rd of April in ``language``, as the CLDR's short date says."""
    try:
        pattern = str(get_date_format("short", locale=Locale.parse(language.replace("-", "_"))).pattern)
    except (UnknownLocaleError, ValueError, TypeError):
        pattern = ""
    if "d" in pattern and "M" in pattern:
        return pattern.index("d") < pattern.index("M")
    for django_pattern in formats.get_format("DATE_INPUT_FORMATS", lang=language):
        if "/" in django_pattern or "." in django_pattern:
            return django_pattern.startswith("%d")
    return True


def _real_date(year: str, month: int, day: str) -> date:
    try:
        return date(int(year), month, int(day))
    except ValueError:
        raise NotARealDateError from None


def parse_dateline(line: str, *, language: str) -> Dateline | None:
    """The dateline on ``line``, or None when the line is not one. Raises ``NotARealDateError``."""
    line = line.strip()
    if not line or len(line) > 400:
        return None
    match = _ISO.match(line) or _CJK.match(line)
    if match:
        return _build(match, _real_date(match["year"], int(match["month"]), match["day"]))
    match = _NUMERIC.match(line)
    if match:
        first, second = match["first"], match["second"]
        day, month = (first, second) if day_comes_first(language) else (second, first)
        return _build(match, _real_date(match["year"], int(month), day))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        match = pattern.match(line)
        if match:
            month_number = month_numbers(language).get(match["month_name"].casefold().rstrip("."))
            if month_number is None:
                continue
            return _build(match, _real_date(match["year"], month_number, match["day"]))
    return None


def _build(match: re.Match[str], found: date) -> Dateline:
    return Dateline(date=found, place=(match["place"] or "").strip(), rest=(match["rest"] or "").strip())
