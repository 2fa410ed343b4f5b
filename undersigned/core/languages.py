"""Languages: the interface's (with gettext catalogues) and the content's (any the CLDR knows)."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from django.conf import settings
from django.utils.translation import get_language_info

from undersigned.core import process_caches

_SHIPPED_DATA = "keyed by a language code; the CLDR's (Babel's) and Django's language data ship with the code"


def interface_language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_interface_language(code: str) -> bool:
    return code in interface_language_codes()


@process_caches.register_function(never_stale=_SHIPPED_DATA)
@lru_cache(maxsize=512)
def _locale(code: str) -> Locale | None:
    parts = code.replace("-", "_").split("_")
    code = "_".join([parts[0].lower()] + [part.title() if len(part) == 4 else part.upper() for part in parts[1:]])
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def canonical_language_code(code: str) -> str | None:
    """``code`` as we store it (lower case, hyphens: ``pt-br``, ``zh-hant``), or None when the CLDR
    does not know it. A language alone, or with a script or a region."""
    parts = code.strip().replace("_", "-").split("-")
    if not 1 <= len(parts) <= 3 or not all(part.isascii() and part.isalnum() for part in parts):
        return None
    language = parts[0].lower()
    if language not in content_language_codes():
        return None
    if len(parts) > 1:
        babel_parts = [language] + [part.title() if len(part) == 4 else part.upper() for part in parts[1:]]
        if _locale("_".join(babel_parts)) is None:
            return None
    return "-".join(part.lower() for part in parts)


def is_content_language(code: str) -> bool:
    """A language a statement may be written in: any the CLDR knows, with a region or script or not."""
    return canonical_language_code(code) == code


@process_caches.register_function(never_stale="the CLDR's list of languages ships with the code")
@lru_cache(maxsize=1)
def content_language_codes() -> frozenset[str]:
    return frozenset(
        identifier for identifier in locale_identifiers() if "_" not in identifier and identifier != "root"
    )


def content_language_choices() -> list[tuple[str, str | list[tuple[str, str]]]]:
    """Grouped choices for a language select: the interface languages first, then every other one."""
    from django.utils.translation import gettext

    return [
        ("", gettext("Choose a language")),
        (
            gettext("Languages of this site"),
            [(code, native_language_name(code)) for code in interface_language_codes()],
        ),
        (gettext("All languages"), list(_all_content_language_choices())),
    ]


@process_caches.register_function(never_stale="native names from the CLDR, which ships with the code")
@lru_cache(maxsize=1)
def _all_content_language_choices() -> tuple[tuple[str, str], ...]:
    return tuple((code, f"{native_language_name(code)} — {code}") for code in sorted(content_language_codes()))


@process_caches.register_function(never_stale=_SHIPPED_DATA)
@lru_cache(maxsize=512)
def language_direction(code: str) -> str:
    """``rtl`` or ``ltr``; ``ltr`` for a code nobody knows."""
    try:
        return "rtl" if get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        pass
    locale = _locale(code)
    if locale is not None and locale.character_order == "right-to-left":
        return "rtl"
    return "ltr"


@process_caches.register_function(never_stale=_SHIPPED_DATA)
@lru_cache(maxsize=512)
def native_language_name(code: str) -> str:
    """The language's name in itself. The CLDR's first: Django's table names a few languages in
    English (Basque, Khmer) among native names."""
    locale = _locale(code)
    if locale is not None:
        asked = code.replace("_", "-").split("-")
        if len(asked) < len(str(locale).split("_")):
            # An alias the CLDR resolves to another locale (``tl`` to Filipino of the Philippines):
            # the language asked for, named in that locale's tongue ("Tagalog").
            name = locale.languages.get(asked[0].lower())
            if name:
                return str(name)
        elif locale.display_name:
            return str(locale.display_name)
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code
