"""What a reader's page needs from a statement, in the reader's languages (for views and feeds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation.trans_real import parse_accept_lang_header

from undersigned.commissions.models import Commission
from undersigned.core.languages import language_direction, native_language_name
from undersigned.federation.selectors import federation_identity
from undersigned.statements.models import Revision, Statement
from undersigned.statements.rendering import render_markdown, render_revision_body
from undersigned.statements.selectors import PublishedText, choose_text, published_texts


def text_for_reader(request: HttpRequest, statement: Statement) -> PublishedText | None:
    """The statement's published text this reader reads first (None when it has none)."""
    return choose_text(
        published_texts(statement),
        original_language=statement.original_language,
        preferences=reader_language_preferences(request),
    )


def reader_language_preferences(request: HttpRequest) -> list[str]:
    """Which text to show first: the switcher's choice, then the browser's Accept-Language (any
    language, not only the interface's), then the interface language the site fell back to."""
    preferences: list[str] = []
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and federation_identity().offers(chosen):
        preferences.append(chosen)
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and code.lower() not in preferences:
            preferences.append(code.lower())
    interface = get_language() or federation_identity().default_language
    if interface not in preferences:
        preferences.append(interface)
    return preferences


def issuing_body_name(commission: Commission | None, language: str) -> str:
    identity = federation_identity()
    if commission is None:
        return identity.text_in(language).name
    texts = {text.language: text.name for text in commission.texts.all()}
    for candidate in (language, identity.default_language, *sorted(texts)):
        if candidate in texts:
            return texts[candidate]
    return commission.slug


def long_date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    try:
        return str(format_date(value, format="long", locale=language.replace("-", "_")))
    except (ValueError, LookupError):
        return value.isoformat()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    direction: str
    is_original: bool
    is_current: bool


@dataclass(frozen=True)
class ReadableText:
    statement: Statement
    language: str
    direction: str
    revision: Revision
    body_html: SafeString
    dateline: str
    issuing_body: str
    languages: list[LanguageLink]
    is_original: bool

    @property
    def summary(self) -> str:
        first = self.revision.headline_calls[0] if self.revision.headline_calls else self.revision.body
        return " ".join(first.split())[:200]


def signature_state(statement: Statement) -> str:
    """One of: withdrawn, closed, not_yet_open, open (the sign-on forms arrive with signatures)."""
    if statement.status == Statement.Status.WITHDRAWN:
        return "withdrawn"
    if statement.status == Statement.Status.CLOSED:
        return "closed"
    now = timezone.now()
    if statement.opens_at and now < statement.opens_at:
        return "not_yet_open"
    if statement.closes_at and now >= statement.closes_at:
        return "closed"
    return "open"


def readable_text(statement: Statement, chosen: PublishedText, interface_language: str) -> ReadableText:
    texts = published_texts(statement)
    revision = chosen.revision
    dateline = long_date(revision.dateline_date, chosen.language)
    if revision.dateline_place and dateline:
        dateline = f"{revision.dateline_place}, {dateline}"
    return ReadableText(
        statement=statement,
        language=chosen.language,
        direction=language_direction(chosen.language),
        revision=revision,
        body_html=render_revision_body(revision.sha256, revision.body)
        if revision.sha256
        else render_markdown(revision.body),
        dateline=dateline or revision.dateline_place,
        issuing_body=issuing_body_name(statement.commission, interface_language),
        languages=[
            LanguageLink(
                code=text.language,
                name=native_language_name(text.language),
                direction=language_direction(text.language),
                is_original=text.language == statement.original_language,
                is_current=text.language == chosen.language,
            )
            for text in texts
        ],
        is_original=chosen.language == statement.original_language,
    )


@dataclass(frozen=True)
class StatementCard:
    slug: str
    title: str
    language: str
    direction: str
    issuing_body: str
    published_on: str
    state: str
    languages: Sequence[str]


def statement_card(statement: Statement, preferences: Sequence[str], interface_language: str) -> StatementCard | None:
    texts = published_texts(statement)
    chosen = choose_text(texts, original_language=statement.original_language, preferences=preferences)
    if chosen is None:
        return None
    return StatementCard(
        slug=statement.slug,
        title=chosen.revision.title,
        language=chosen.language,
        direction=language_direction(chosen.language),
        issuing_body=issuing_body_name(statement.commission, interface_language),
        published_on=long_date(statement.published_at.date() if statement.published_at else None, interface_language),
        state=signature_state(statement),
        languages=[native_language_name(text.language) for text in texts],
    )
