"""The organisations' part of a statement page, rendered once per statement and language and kept
for a few seconds: every reader of a viral statement sees the same list."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from undersigned.core.caching import cached
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

    def render() -> tuple[int, str]:
        count = sign_on_count(statement_id)
        html = render_to_string(
            "organisations/includes/statement_sign_ons.html",
            {"sign_on_count": count, "sign_on_groups": approved_sign_ons(statement_id) if count.total else []},
        )
        return count.total, html

    total, html = cached(_section_key(statement_id, language), CACHE_SECONDS, render)
    return StatementSignOns(total=total, html=mark_safe(html))  # noqa: S308  (our template's output)
