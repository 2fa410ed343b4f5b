"""Interface languages: the ones with gettext catalogues, and how each is written."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info


def interface_language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_interface_language(code: str) -> bool:
    return code in interface_language_codes()


def language_direction(code: str) -> str:
    """``rtl`` or ``ltr`` for a language code Django knows; ``ltr`` for any it does not."""
    try:
        return "rtl" if get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "ltr"


def native_language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code
