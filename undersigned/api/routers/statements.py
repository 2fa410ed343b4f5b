"""Public reads of statements, each through the selector the statement's pages use, so that the
API and the pages always give the same numbers."""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from ninja import Query, Router
from ninja import Schema as _Schema
from pydantic import Field

from undersigned.api.cursors import keyset_page
from undersigned.api.middleware import MAX_AGE_SECONDS
from undersigned.api.schemas import (
    READ_ERRORS,
    Counts,
    Delivery,
    LedgerHead,
    Milestone,
    SignatoryPage,
    SignOnGroup,
    StatementDetail,
    StatementPage,
)
from undersigned.core.languages import is_interface_language
from undersigned.federation.selectors import federation_identity
from undersigned.ledger.selectors import deliveries_of, head_document, milestones_of
from undersigned.organisations.models import OrganisationType
from undersigned.organisations.selectors import approved_sign_ons, sign_on_count
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER
from undersigned.organisations.types import type_label
from undersigned.signatures.selectors import public_signatures
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tallies import tally_for_statement
from undersigned.statements.models import Statement
from undersigned.statements.selectors import published_texts, statement_for_reading, statement_list_public

router = Router(tags=["statements"])
# What a slug or a language code can be; anything else never reaches the database.
SLUG = "^[-a-zA-Z0-9_]*$"


class StatementFilters(_Schema):
    issuing_body: str = Field("", max_length=100, pattern=SLUG, description="A commission's slug, or `federation`.")
    language: str = Field(
        "", max_length=16, pattern=SLUG, description="Only statements with a published text in this language."
    )
    state: str = Field("", pattern="^(|open|closed)$", description="`open` (signable now) or `closed`.")
    cursor: str = Field("", max_length=500, description="`next_cursor` of the previous page.")
    limit: int = Field(20, ge=1, le=100)


def _summary(statement: Statement) -> dict[str, Any]:
    texts = published_texts(statement)
    return {
        "slug": statement.slug,
        "issuing_body": statement.commission.slug if statement.commission else "federation",
        "original_language": statement.original_language,
        "languages": [text.language for text in texts],
        "title": texts[0].revision.title if texts else "",
        "status": statement.status,
        "takes_signatures": statement.takes_signatures(),
        "published_at": statement.published_at,
        "opens_at": statement.opens_at,
        "closes_at": statement.closes_at,
    }


@router.get("", response={200: StatementPage, **READ_ERRORS}, summary="Published and closed statements, newest first")
def statement_list(request: HttpRequest, filters: Query[StatementFilters]) -> dict[str, Any]:
    statements = statement_list_public(
        commission_slug=filters.issuing_body or None, language=filters.language or None, state=filters.state or None
    )
    page = keyset_page(statements, field="published_at", cursor=filters.cursor, limit=filters.limit, kind="statements")
    return {"items": [_summary(statement) for statement in page.items], "next_cursor": page.next_cursor}


@router.get("/{slug:slug}", response={200: StatementDetail, **READ_ERRORS}, summary="One statement with its texts")
def statement_detail(request: HttpRequest, response: HttpResponse, slug: str) -> dict[str, Any]:
    statement = statement_for_reading(slug=slug)
    texts: list[dict[str, Any]] = [
        {
            "language": text.language,
            "title": text.revision.title,
            "dateline_date": text.revision.dateline_date,
            "dateline_place": text.revision.dateline_place,
            "headline_calls": [str(call) for call in text.revision.headline_calls],
            "body": text.revision.body,
            "call_to_action": text.revision.call_to_action,
            "revision": text.revision.number,
            "revision_id": text.revision.pk,
            "sha256": text.revision.sha256,
            "published_at": text.revision.published_at,
        }
        for text in published_texts(statement)
    ]
    # The timer is drawn at the end of the current cache window, not now: the answer (and its ETag)
    # stays the same for the window, so caches and If-None-Match work, and a token is never older
    # than it says (the minimum fill time only grows, by less than the window).
    window_end = math.ceil(time.time() / MAX_AGE_SECONDS) * MAX_AGE_SECONDS
    # The answer last changed at the latest of: the start of the window whose timers it carries (a
    # cache revalidating with If-Modified-Since so never keeps a timer past its window, when an old
    # one would expire), the statement's publication, its texts' revisions, and its opening or
    # closing date once passed. A close by hand has no time of its own: within one window (5 s)
    # such a change shows through the ETag only.
    now = time.time()
    moments = [statement.published_at, statement.opens_at, statement.closes_at]
    moments += [text["published_at"] for text in texts]
    changed = [window_end - MAX_AGE_SECONDS] + [m.timestamp() for m in moments if m and m.timestamp() <= now]
    response["Last-Modified"] = http_date(math.floor(max(changed)))
    sign_form = {
        "started": SIGN_FORM_TIMER.started_token(drawn_at=window_end),
        "proof_of_work_required": statement.needs_proof_of_work(),
        "challenge_url": request.build_absolute_uri(reverse("signatures:challenge")),
    }
    sign_on_form = {
        "started": SIGN_ON_FORM_TIMER.started_token(drawn_at=window_end),
        "organisation_types": [
            {"code": kind.code, "label": type_label(kind)} for kind in OrganisationType.objects.all()
        ],
    }
    body = _summary(statement)
    feeds = [
        {
            "kind": "statements",
            "body": scope,
            "language": text["language"],
            "url": request.build_absolute_uri(reverse("statements:feed", args=[scope, text["language"]])),
        }
        for scope in (body["issuing_body"], "all")
        for text in texts
    ]
    feeds += [
        {
            "kind": "actions",
            "body": body["issuing_body"],
            "language": language,
            "url": request.build_absolute_uri(reverse("actions:feed", args=[statement.slug, language])),
        }
        for language in _action_feed_languages([text["language"] for text in texts])
    ]
    return {**body, "texts": texts, "sign_form": sign_form, "sign_on_form": sign_on_form, "feeds": feeds}


def _action_feed_languages(text_languages: list[str]) -> list[str]:
    """An action feed is written in an interface language: those of the statement's texts, in their
    order, or the site's default language when the interface speaks none of them."""
    languages = [language for language in text_languages if is_interface_language(language)]
    return languages or [federation_identity().default_language]


@router.get("/{slug:slug}/counts", response={200: Counts, **READ_ERRORS}, summary="Signature and organisation counts")
def statement_counts(request: HttpRequest, slug: str) -> dict[str, Any]:
    statement = statement_for_reading(slug=slug)
    tally = tally_for_statement(statement.pk)
    organisations = sign_on_count(statement.pk)
    return {
        "signatures": {
            "total": tally.total,
            "by_country": [
                {"country": country, "count": count}
                for country, count in sorted(tally.by_country.items(), key=lambda item: (-item[1], item[0]))
            ],
        },
        "organisations": {
            "total": organisations.total,
            "by_country": [{"country": code, "count": count} for code, _name, count in organisations.by_country],
            "by_type": [{"type": label, "count": count} for label, count in organisations.by_type],
        },
    }


@router.get("/{slug:slug}/milestones", response={200: list[Milestone], **READ_ERRORS}, summary="Signature milestones")
def statement_milestones(request: HttpRequest, slug: str) -> list[Any]:
    return list(milestones_of(statement_for_reading(slug=slug).pk))


@router.get(
    "/{slug:slug}/deliveries", response={200: list[Delivery], **READ_ERRORS}, summary="Deliveries, oldest first"
)
def statement_deliveries(request: HttpRequest, slug: str) -> list[Any]:
    return list(deliveries_of(statement_for_reading(slug=slug).pk))


@router.get("/{slug:slug}/ledger-head", response={200: LedgerHead, **READ_ERRORS}, summary="The count ledger's head")
def statement_ledger_head(request: HttpRequest, response: HttpResponse, slug: str) -> dict[str, Any]:
    head = head_document(statement_for_reading(slug=slug))
    if head["sealed_at"]:
        # A head changes only with a new checkpoint, sealed later than the one before.
        response["Last-Modified"] = http_date(math.floor(datetime.fromisoformat(head["sealed_at"]).timestamp()))
    return head


class PageQuery(_Schema):
    cursor: str = Field("", max_length=500, description="`next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


@router.get(
    "/{slug:slug}/signatories", response={200: SignatoryPage, **READ_ERRORS}, summary="Public signatories, newest first"
)
def statement_signatories(request: HttpRequest, slug: str, query: Query[PageQuery]) -> dict[str, Any]:
    statement = statement_for_reading(slug=slug)
    page = keyset_page(
        public_signatures(statement_id=statement.pk),
        field="confirmed_at",
        cursor=query.cursor,
        limit=query.limit,
        kind=f"signatories.{statement.pk}",
    )
    items = [{"name": signature.display_name, "country": str(signature.country)} for signature in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/{slug:slug}/sign-ons", response={200: list[SignOnGroup], **READ_ERRORS}, summary="Approved organisations")
def statement_sign_ons(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    statement = statement_for_reading(slug=slug)
    return [
        {
            "country": group.code,
            "country_name": group.name,
            "organisations": [
                {"name": item.name, "website": item.website, "type": item.type_label, "is_member": item.is_member}
                for item in group.sign_ons
            ],
        }
        for group in approved_sign_ons(statement.pk)
    ]
