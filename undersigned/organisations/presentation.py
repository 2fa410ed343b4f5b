"""The organisations' part of a statement page, rendered once per statement and language and kept
for a few seconds: every reader of a viral statement sees the same list."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from undersigned.federation.selectors import CACHE_ERRORS
from undersigned.organisations.selectors import CACHE_SECONDS, approved_sign_ons, sign_on_count


@dataclass(frozen=True)
class StatementSignOns:
    total: int
    html: SafeString


def _section_key(statement_id: int, language: str) -> str:
    return f"sign-on-section:{statement_id}:{language}"


def section_keys(statement_id: int) -> list[str]:
    return [_section_key(statement_id, code) for code, _name in settings.LANGUAGES]


def statement_sign_ons(statement_id: int) -> StatementSignOns:
    language = get_language() or settings.LANGUAGE_CODE
    key = _section_key(statement_id, language)
    try:
        cached: tuple[int, str] | None = cache.get(key)
    except CACHE_ERRORS:
        cached = None
    if cached is None:
        count = sign_on_count(statement_id)
        html = render_to_string(
            "organisations/includes/statement_sign_ons.html",
            {"sign_on_count": count, "sign_on_groups": approved_sign_ons(statement_id) if count.total else []},
        )
        cached = (count.total, html)
        with contextlib.suppress(*CACHE_ERRORS):
            cache.set(key, cached, CACHE_SECONDS)
    return StatementSignOns(total=cached[0], html=mark_safe(cached[1]))  # noqa: S308  (our template's output)
