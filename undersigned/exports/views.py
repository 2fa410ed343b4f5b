"""The signed statement's public downloads: the PDF (stored, built in the background when big), and
the same public data as CSV and JSON.

``?language=`` picks the text: a language the statement is published in, else the reader's
language, else the original (an unknown or malformed value never fails). ``?paper=letter`` gives
US Letter; anything else, A4.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django_countries import countries

from undersigned.core.spreadsheet import safe_writer
from undersigned.exports.selectors import (
    SignedStatement,
    StreamedStatement,
    counts_key,
    exportable_statement,
    signed_statement_streamed,
    text_for,
)
from undersigned.exports.services import file_request
from undersigned.statements.models import Statement
from undersigned.statements.presentation import reader_language_preferences

RETRY_SECONDS = 10
# A reader who asks again gets the stored file revalidated by its ETag; a minute of caching keeps
# a press release's link cheap while the counts move.
MAX_AGE = 60


def _statement_and_language(request: HttpRequest, slug: str) -> tuple[Statement, str]:
    statement = exportable_statement(slug=slug)
    if statement is None:
        raise Http404
    asked = request.GET.get("language", "")[:16].lower()
    preferences = ([asked] if asked else []) + reader_language_preferences(request)
    return statement, text_for(statement, preferences=preferences).language


def _paper(request: HttpRequest) -> str:
    return "letter" if request.GET.get("paper", "").lower() == "letter" else "a4"


def _cacheable(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    if "language" not in request.GET:  # the reader's language chose the text
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


@require_safe
def signed_statement_pdf(request: HttpRequest, slug: str) -> HttpResponseBase:
    statement, language = _statement_and_language(request, slug)
    paper = _paper(request)
    stored = file_request(slug=statement.slug, language=language, paper=paper)
    if stored is None or stored.created_at is None:
        response = render(
            request,
            "exports/being_prepared.html",
            {"statement": statement, "retry_seconds": RETRY_SECONDS},
            status=202,
        )
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response
    last_modified = stored.created_at.timestamp()
    conditional = get_conditional_response(request, etag=stored.etag, last_modified=int(last_modified))
    if conditional is not None:
        return _cacheable(request, conditional)
    pdf = type(stored).objects.values_list("pdf", flat=True).get(pk=stored.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response.headers["ETag"] = stored.etag
    response.headers["Last-Modified"] = http_date(last_modified)
    response.headers["Content-Disposition"] = f'inline; filename="{statement.slug}-{language}-{paper}.pdf"'
    return _cacheable(request, response)


def _data_etag(statement: Statement, language: str, kind: str) -> str:
    return f'"{kind}-{counts_key(statement_id=statement.pk, language=language)[:32]}"'


CSV_COLUMNS = ["kind", "country_code", "country", "name", "organisation_type", "member", "count", "detail"]


def csv_rows(streamed: StreamedStatement) -> Iterator[list[str]]:
    """One table, one row per fact, told apart by ``kind`` (filter that column in a spreadsheet):
    ``ledger_head`` (count = its sequence number, detail = its hash and time), ``signatures_total``,
    ``signatures_by_country``, ``organisations_total``, ``organisation`` (country, name, type,
    member yes/no), ``public_name`` (country, name as the signer chose), ``hidden_names`` (after
    the names, which are streamed and counted as they go), ``delivery`` (detail = the targets,
    count = signatures then)."""
    data = streamed.data
    yield CSV_COLUMNS
    sealed = data.head.sealed_at.isoformat() if data.head.sealed_at else ""
    yield ["ledger_head", "", "", "", "", "", str(data.head.seq), f"{data.head.hash} {sealed}".strip()]
    yield ["signatures_total", "", "", "", "", "", str(data.signatures), ""]
    for country in data.signatures_by_country:
        yield ["signatures_by_country", country.code, country.name, "", "", "", str(country.count), ""]
    yield ["organisations_total", "", "", "", "", "", str(data.organisations), ""]
    for group in data.organisation_groups:
        for sign_on in group.sign_ons:
            member = "yes" if sign_on.is_member else "no"
            yield [
                "organisation",
                group.code,
                group.name,
                sign_on.name,
                sign_on.type_label,
                member,
                "",
                "",
            ]

    names = {}
    for item in streamed.names():
        if item.country not in names:
            names[item.country] = str(countries.name(item.country)) if item.country else ""
        yield ["public_name", item.country, names[item.country], item.name, "", "", "", ""]
    yield ["hidden_names", "", "", "", "", "", str(streamed.hidden_names), ""]
    for delivery in data.deliveries:
        targets = "; ".join(
            ", ".join(part for part in (t.name, t.role, t.organisation) if part) for t in delivery.targets
        )
        yield [
            "delivery",
            "",
            "",
            "",
            "",
            "",
            str(delivery.signatures),
            f"{delivery.at.isoformat()} {targets}",
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_safe
def signed_statement_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    return _streamed_download(request, slug, "csv", _csv_lines, "text/csv; charset=utf-8")


def _streamed_download(
    request: HttpRequest,
    slug: str,
    kind: str,
    chunks: Callable[[Statement, str], Iterator[str]],
    content_type: str,
) -> HttpResponseBase:
    """The CSV or JSON file, streamed, with its ETag (a 304 when the counts have not moved)."""
    statement, language = _statement_and_language(request, slug)
    etag = _data_etag(statement, language, kind)
    conditional = get_conditional_response(request, etag=etag)
    if conditional is not None:
        return _cacheable(request, conditional)
    response = StreamingHttpResponse(chunks(statement, language), content_type=content_type)
    response.headers["ETag"] = etag
    response.headers["Content-Disposition"] = f'attachment; filename="{statement.slug}-signed-statement.{kind}"'
    return _cacheable(request, response)


def _csv_lines(statement: Statement, language: str) -> Iterator[str]:
    """Read while sent: the snapshot stays open till the last name, in constant memory."""
    writer = safe_writer(_Echo())
    # A byte-order mark first: spreadsheets then read the file as UTF-8 (accents, Arabic names).
    yield "\ufeff"
    with signed_statement_streamed(statement=statement, language=language) as streamed:
        for row in csv_rows(streamed):
            yield writer.writerow(row)


def json_document(data: SignedStatement, *, public_names: object, hidden_names: object) -> dict[str, Any]:
    """The JSON shape (stable field names; see docs/exports.md). The names come before the
    counts' object, whose ``hidden_names`` is known once every name is streamed."""
    return {
        "statement": data.slug,
        "language": data.language,
        "title": data.title,
        "issuing_body": data.issuing_body,
        "revision": {"number": data.revision, "sha256": data.revision_sha256},
        "url": data.statement_url,
        "transparency_url": data.transparency_url,
        "ledger_head": {
            "seq": data.head.seq,
            "hash": data.head.hash,
            "sealed_at": data.head.sealed_at.isoformat() if data.head.sealed_at else None,
            "pending_events": data.head.pending,
        },
        "signatures": {
            "total": data.signatures,
            "by_country": {country.code: country.count for country in data.signatures_by_country},
            "hidden_names": hidden_names,
        },
        "organisations": {
            "total": data.organisations,
            "items": [
                {"country": group.code, "name": item.name, "type": item.type_label, "member": item.is_member}
                for group in data.organisation_groups
                for item in group.sign_ons
            ],
        },
        "public_names": public_names,
        "deliveries": [
            {
                "at": delivery.at.isoformat(),
                "targets": [
                    {"name": target.name, "role": target.role, "organisation": target.organisation}
                    for target in delivery.targets
                ],
                "signatures": delivery.signatures,
                "organisations": delivery.organisations,
                "revision": delivery.revision,
                "language": delivery.language,
            }
            for delivery in data.deliveries
        ],
        "read_at": data.read_at.isoformat(),
    }


def _json_chunks(statement: Statement, language: str) -> Iterator[str]:
    """The document with its names streamed in batches, then the counts that need them all."""
    names_mark, hidden_mark = f"names-{secrets.token_hex(8)}", f"hidden-{secrets.token_hex(8)}"
    with signed_statement_streamed(statement=statement, language=language) as streamed:
        document = json_document(streamed.data, public_names=names_mark, hidden_names=hidden_mark)
        # The names first, then the counts that need them all: ``signatures`` after ``public_names``.
        for key in ("signatures", "deliveries", "read_at"):
            document[key] = document.pop(key)
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        before, after = text.split(f'"{names_mark}"')
        yield before + "["
        batch: list[str] = []
        first = True
        for item in streamed.names():
            batch.append(
                json.dumps({"name": item.name, "country": item.country}, ensure_ascii=False, separators=(",", ":"))
            )
            if len(batch) == 1000:
                yield ("" if first else ",") + ",".join(batch)
                batch, first = [], False
        if batch:
            yield ("" if first else ",") + ",".join(batch)
        yield "]" + after.replace(f'"{hidden_mark}"', str(streamed.hidden_names))


@require_safe
def signed_statement_json(request: HttpRequest, slug: str) -> HttpResponseBase:
    return _streamed_download(request, slug, "json", _json_chunks, "application/json; charset=utf-8")
