"""Atom feeds of approved solidarity actions: per statement, and per issuing body (``all`` for every
body, ``federation`` for the federation's own), like the statements' feeds.

A feed is written in the interface language its address names, whatever the reader's cookie or
Accept-Language, so a shared cache keeps one copy of it. Each description stays in the language
it was reported in, marked with ``lang`` in the entry's HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from undersigned.actions.models import SolidarityAction
from undersigned.actions.presentation import PublicAction, public_actions
from undersigned.actions.selectors import actions_for_feed
from undersigned.commissions.models import Commission
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import is_interface_language
from undersigned.federation.selectors import federation_identity
from undersigned.statements.models import Statement
from undersigned.statements.presentation import issuing_body_name
from undersigned.statements.selectors import choose_text, published_texts, statement_for_reading

FEED_SIZE = 50


@dataclass(frozen=True)
class FeedEntry:
    action: SolidarityAction
    shown: PublicAction


@dataclass(frozen=True)
class StatementScope:
    statement: Statement
    language: str


@dataclass(frozen=True)
class BodyScope:
    body: str  # a commission's slug, "federation" or "all"
    commission: Commission | None
    language: str


def _entries(actions: list[SolidarityAction], language: str) -> list[FeedEntry]:
    shown = public_actions(actions, today=timezone.localdate(), language=language)
    return [FeedEntry(action=action, shown=item) for action, item in zip(actions, shown, strict=True)]


def _statement_title(statement: Statement, language: str) -> str:
    chosen = choose_text(
        published_texts(statement), original_language=statement.original_language, preferences=[language]
    )
    return chosen.revision.title if chosen else statement.slug


class _ActionFeed(Feed[FeedEntry, Any]):
    """What both feeds share: the language from the address, and how an entry reads."""

    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = kwargs["language"]
        if not is_interface_language(language):
            raise Http404
        with override(language):
            response = super().__call__(request, *args, **kwargs)
        if response.status_code == 200:
            # No Vary on the reader's cookies or Accept-Language: see the module's docstring.
            response.language_from_address = True  # type: ignore[attr-defined]
            response.headers["Content-Language"] = language
        return response

    def get_feed(self, obj: Any, request: HttpRequest) -> Atom1Feed:
        feed = super().get_feed(obj, request)
        feed.feed["language"] = obj.language
        return feed  # type: ignore[return-value]

    def item_title(self, item: FeedEntry) -> str:
        shown = item.shown
        return f"{shown.organisation} · {shown.kind} · {shown.city}, {shown.country_name}"

    def item_description(self, item: FeedEntry) -> str:
        shown = item.shown
        state = _("Planned") if shown.planned else _("Held")
        language = f' lang="{escape(shown.description_language)}"' if shown.description_language else ""
        description = linebreaks(shown.description, autoescape=True)
        parts = [
            f"<p><strong>{escape(state)}</strong> · {escape(shown.date_label)} · "
            f"{escape(shown.city)}, {escape(shown.country_name)}</p>",
            f'<div{language} dir="{shown.description_direction}">{description}</div>',
        ]
        if shown.participants:
            taking_part = ngettext(
                "%(counter)s taking part (the organisation's figure)",
                "%(counter)s taking part (the organisation's figure)",
                shown.participants,
            ) % {"counter": shown.participants}
            parts.append(f"<p>{escape(taking_part)}</p>")
        if shown.link:
            more = _("More on <bdi>%(host)s</bdi>") % {"host": escape(shown.link_host)}
            parts.append(f'<p><a href="{escape(shown.link)}" rel="nofollow ugc noopener">{more}</a></p>')
        return "".join(parts)

    def item_link(self, item: FeedEntry) -> str:
        # An action has no page of its own; its link (another site's) is in the entry's text.
        return reverse("actions:list", args=[item.action.statement.slug])

    def item_guid(self, item: FeedEntry) -> str:
        host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"tag:{host},{item.action.created_at:%Y-%m-%d}:action/{item.action.public_id}"

    def item_guid_is_permalink(self, item: FeedEntry) -> bool:
        return False

    def item_pubdate(self, item: FeedEntry) -> datetime:
        return item.action.reviewed_at or item.action.created_at

    def item_updateddate(self, item: FeedEntry) -> datetime:
        return item.action.updated_at

    def item_author_name(self, item: FeedEntry) -> str:
        return item.shown.organisation

    def item_categories(self, item: FeedEntry) -> list[str]:
        return [item.shown.kind]


class StatementActionFeed(_ActionFeed):
    def get_object(self, request: HttpRequest, slug: str, language: str) -> StatementScope:
        try:
            return StatementScope(statement=statement_for_reading(slug=slug), language=language)
        except DomainError:
            raise Http404 from None

    def title(self, obj: StatementScope) -> str:
        return f"{_('Solidarity actions')} · {_statement_title(obj.statement, obj.language)}"

    def subtitle(self, obj: StatementScope) -> str:
        return _("Actions are reported by organisations; they are not part of the signature count.")

    def link(self, obj: StatementScope) -> str:
        return reverse("actions:list", args=[obj.statement.slug])

    def items(self, obj: StatementScope) -> list[FeedEntry]:
        return _entries(list(actions_for_feed(statement_id=obj.statement.pk)[:FEED_SIZE]), obj.language)


class BodyActionFeed(_ActionFeed):
    def get_object(self, request: HttpRequest, body: str, language: str) -> BodyScope:
        if body in {"all", "federation"}:
            return BodyScope(body=body, commission=None, language=language)
        commission = Commission.objects.prefetch_related("texts").filter(slug=body).first()
        if commission is None:
            raise Http404
        return BodyScope(body=body, commission=commission, language=language)

    def title(self, obj: BodyScope) -> str:
        if obj.body == "all":
            name = federation_identity().text_in(obj.language).name
        else:
            name = issuing_body_name(obj.commission, obj.language)
        return f"{_('Solidarity actions')} · {name}"

    def subtitle(self, obj: BodyScope) -> str:
        return _("Actions are reported by organisations; they are not part of the signature count.")

    def link(self, obj: BodyScope) -> str:
        return reverse("statements:index") + ("" if obj.body == "all" else f"?body={obj.body}")

    def items(self, obj: BodyScope) -> list[FeedEntry]:
        scope = None if obj.body == "all" else obj.body
        return _entries(list(actions_for_feed(commission_slug=scope)[:FEED_SIZE]), obj.language)
