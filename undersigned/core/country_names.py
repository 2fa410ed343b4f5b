"""Country names in every interface language. django-countries ships catalogues for most of them;
for the ones it does not (Tagalog, and Turkish under a regional name Django does not look for), the
CLDR's names (Babel's) stand in, so that a signer never meets an English country list in the middle
of their language. Read from settings, so it imports nothing of the project."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.utils.functional import lazy

from undersigned.core import process_caches

# Interface languages whose country names come from the CLDR instead of django-countries.
CLDR_COUNTRY_LANGUAGES = frozenset({"tl", "tr"})


@process_caches.register_function(never_stale="keyed by a language code; the CLDR's data ships with the code")
@lru_cache(maxsize=16)
def _cldr_territories(language: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(language).territories)


def _country_name(code: str) -> str:
    from django.utils.translation import get_language
    from django_countries.data import COUNTRIES

    language = (get_language() or "en").split("-")[0].lower()
    if language in CLDR_COUNTRY_LANGUAGES:
        name = _cldr_territories(language).get(code)
        if name:
            return name
    return str(COUNTRIES[code])


_lazy_country_name = lazy(_country_name, str)


def lazy_country_names() -> dict[str, Any]:
    """COUNTRIES_OVERRIDE: every country, named when the name is read, in the language then active."""
    from django_countries.data import COUNTRIES

    return {code: _lazy_country_name(code) for code in COUNTRIES}
