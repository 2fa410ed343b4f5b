"""Atom feeds of published statements, per issuing body and language (``all`` for every body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from undersigned.commissions.models import Commission
from undersigned.core.languages import is_content_language, native_language_name
from undersigned.federation.selectors import federation_identity
from undersigned.statements.models import Statement
from undersigned.statements.presentation import issuing_body_name
from undersigned.statements.rendering import render_markdown
from undersigned.statements.selectors import PublishedText, published_texts, statement_list_public

FEED_SIZE = 30


class StatementFeed(Feed[tuple[Statement, PublishedText], tuple[str, str]]):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # Written in the language its address names, whatever the reader's interface language: a
        # shared cache keeps one copy, with no Vary on the reader's cookies or Accept-Language.
        if response.status_code == 200:
            response.language_from_address = True  # type: ignore[attr-defined]
            response.headers["Content-Language"] = kwargs["language"]
        return response

    def get_object(self, request: HttpRequest, body: str, language: str) -> tuple[str, str]:
        if not is_content_language(language):
            raise Http404
        if body not in {"all", "federation"} and not Commission.objects.filter(slug=body).exists():
            raise Http404
        return body, language

    def get_feed(self, obj: tuple[str, str], request: HttpRequest) -> Atom1Feed:
        feed = super().get_feed(obj, request)
        feed.feed["language"] = obj[1]  # the texts' language, not the interface's
        return feed  # type: ignore[return-value]

    def title(self, obj: tuple[str, str]) -> str:
        body, language = obj
        site = federation_identity().text_in(language).name
        if body == "all":
            return f"{site} ({native_language_name(language)})"
        commission = Commission.objects.prefetch_related("texts").filter(slug=body).first()
        return f"{issuing_body_name(commission, language)} ({native_language_name(language)})"

    def link(self, obj: tuple[str, str]) -> str:
        body, language = obj
        query = f"?language={language}" + ("" if body == "all" else f"&body={body}")
        return reverse("statements:index") + query

    def subtitle(self, obj: tuple[str, str]) -> str:
        return federation_identity().text_in(obj[1]).description

    def items(self, obj: tuple[str, str]) -> list[tuple[Statement, PublishedText]]:
        body, language = obj
        statements = statement_list_public(commission_slug=None if body == "all" else body, language=language)
        found = []
        for statement in statements[:FEED_SIZE]:
            text = next((text for text in published_texts(statement) if text.language == language), None)
            if text is not None:
                found.append((statement, text))
        return found

    def item_title(self, item: tuple[Statement, PublishedText]) -> str:
        return item[1].revision.title

    def item_description(self, item: tuple[Statement, PublishedText]) -> str:
        revision = item[1].revision
        calls = "".join(f"<li>{escape(call)}</li>" for call in revision.headline_calls)
        parts = [f"<ul>{calls}</ul>" if calls else "", render_markdown(revision.body)]
        if revision.call_to_action:
            parts.append(f"<p><strong>{escape(revision.call_to_action)}</strong></p>")
        return "".join(parts)

    def item_link(self, item: tuple[Statement, PublishedText]) -> str:
        return reverse("statements:read_in", args=[item[0].slug, item[1].language])

    def item_pubdate(self, item: tuple[Statement, PublishedText]) -> datetime | None:
        return item[0].published_at

    def item_updateddate(self, item: tuple[Statement, PublishedText]) -> datetime:
        return item[1].revision.published_at

    def item_author_name(self, item: tuple[Statement, PublishedText]) -> str:
        return issuing_body_name(item[0].commission, item[1].language)
