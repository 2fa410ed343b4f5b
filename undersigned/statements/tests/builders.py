"""Statements built through the statements services, as editors build them."""

from __future__ import annotations

from undersigned.commissions.models import Commission
from undersigned.statements.importer import parse_press_release
from undersigned.statements.models import Statement
from undersigned.statements.services import (
    TextInput,
    statement_import,
    statement_publish,
    text_publish,
    translation_add,
)
from undersigned.statements.tests.conftest import ARABIC, FRENCH, PRESS_RELEASE


def published_statement(
    commission: Commission | None, *, slug: str = "library-opening-hours", translations: tuple[str, ...] = ("fr",)
) -> Statement:
    statement = statement_import(actor=None, commission=commission, slug=slug, language="en", source=PRESS_RELEASE)
    sources = {"fr": FRENCH, "ar": ARABIC}
    for language in translations:
        parsed = parse_press_release(sources[language], language=language)
        text = translation_add(actor=None, statement=statement, language=language, text=TextInput.from_parsed(parsed))
        text.statement = statement
        text_publish(actor=None, text=text)
    return statement_publish(actor=None, statement=statement)
