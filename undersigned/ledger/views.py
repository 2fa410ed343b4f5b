"""The public transparency page of a statement, its ledger export and head, and the script that
re-checks them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from undersigned.core.public_ids import normalise_public_id
from undersigned.core.public_pages import shared_cacheable
from undersigned.ledger import site_log, tlog
from undersigned.ledger.charts import line_chart
from undersigned.ledger.log_selectors import (
    PublishedCheckpoint,
    newest_checkpoint,
    published_checkpoint,
    receipt_file,
    tile_bytes,
)
from undersigned.ledger.models import Checkpoint, LogWitness
from undersigned.ledger.selectors import (
    counts_over_time,
    deliveries_of,
    export_lines,
    head_document,
    milestones_of,
    receipt_of,
    removals,
)
from undersigned.signatures.models import Signature
from undersigned.signatures.tallies import tally_for_statement, top_countries
from undersigned.statements.models import Statement
from undersigned.statements.selectors import PUBLIC_STATUSES

SCRIPT = Path(settings.BASE_DIR) / "tools" / "verify_statement.py"


def _public_statement_or_404(slug: str) -> Statement:
    statement = Statement.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if statement is None:
        raise Http404
    return statement


@shared_cacheable
@require_safe
def transparency(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _public_statement_or_404(slug)
    head = head_document(statement)
    hours, days = counts_over_time(statement.pk)
    tally = tally_for_statement(statement.pk, fresh=True)  # this page is about the count: read it now
    receipt = None
    asked = request.GET.get("receipt", "")
    if asked:
        receipt = receipt_of(statement, normalise_public_id(asked))
    return render(
        request,
        "ledger/transparency.html",
        {
            "statement": statement,
            "head": head,
            "tally": tally,
            "countries": top_countries(tally, limit=300),
            "hourly_chart": line_chart(hours, title=_("Confirmed signatures at the end of each hour")),
            "daily_chart": line_chart(days, title=_("Confirmed signatures at the end of each day")),
            "removals": removals(statement.pk),
            "milestones": milestones_of(statement.pk),
            "deliveries": deliveries_of(statement.pk),
            "held": Signature.objects.filter(statement=statement, status=Signature.Status.HELD).count(),
            "receipt": receipt,
            "asked": asked[:40],
            "log": site_log_summary(request),
        },
    )


@dataclass(frozen=True)
class SiteLogSummary:
    origin: str | None
    verifiers: list[tlog.Verifier]
    checkpoint: PublishedCheckpoint | None
    witnesses: list[LogWitness]
    url: str

    @property
    def cosigned(self) -> bool:
        return bool(self.checkpoint and self.checkpoint.cosignatures)


def site_log_summary(request: HttpRequest) -> SiteLogSummary:
    return SiteLogSummary(
        origin=site_log.log_origin(),
        verifiers=site_log.log_verifiers(),
        checkpoint=published_checkpoint(),
        witnesses=list(LogWitness.objects.filter(active=True).order_by("name")),
        url=site_log.log_url(),
    )


def _seq(request: HttpRequest) -> int | None:
    raw = request.GET.get("seq", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@require_safe
def head(request: HttpRequest, slug: str) -> JsonResponse:
    """The latest head, or with ``?seq=`` the head published at that entry (so a download of the
    log and of its head agree however many heads were sealed in between)."""
    statement = _public_statement_or_404(slug)
    seq = _seq(request)
    if seq is not None and not Checkpoint.objects.filter(statement=statement, seq=seq).exists():
        raise Http404
    response = JsonResponse(head_document(statement, seq), json_dumps_params={"ensure_ascii": False})
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-head.json"'
    return response


@require_safe
def export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The ledger up to a head, as JSON Lines; ``?seq=`` picks an earlier head, by default the latest."""
    statement = _public_statement_or_404(slug)
    seq = _seq(request)
    up_to = seq if seq is not None else head_document(statement)["seq"]
    response = StreamingHttpResponse(
        export_lines(statement, up_to=up_to), content_type="application/x-ndjson; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-ledger-{up_to}.jsonl"'
    return response


@require_safe
def script(request: HttpRequest) -> FileResponse:
    response = FileResponse(SCRIPT.open("rb"), content_type="text/x-python; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="verify_statement.py"'
    return response


# --- The site's transparency log, at the paths of C2SP tlog-tiles ---------------------------------

# Tiles and entry bundles never change once served (a partial tile's width is in its path), so
# any cache or mirror may keep them; the checkpoint moves with each sealing.
IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_MAX_AGE = 5


@require_safe
def log_checkpoint(request: HttpRequest) -> HttpResponse:
    published = published_checkpoint()
    if published is None:
        raise Http404
    response = HttpResponse(published.note, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = f"public, max-age={CHECKPOINT_MAX_AGE}"
    return _language_neutral(response)


def _language_neutral(response: HttpResponse) -> HttpResponse:
    """The log is the same for every reader: no Vary on language or cookies, so that any cache or
    mirror keeps one copy, and any site may read it."""
    response.language_from_address = True  # type: ignore[attr-defined]
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def log_tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        tile = tlog.parse_tile_path(path)
    except tlog.ProofError:
        raise Http404 from None
    published = newest_checkpoint()
    data = tile_bytes(tile, published.size) if published is not None else None
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="application/octet-stream")
    response.headers["Cache-Control"] = IMMUTABLE
    return _language_neutral(response)


def receipt_response(request: HttpRequest, *, statement_id: int, slug: str, public_id: str) -> HttpResponse:
    """A signer's receipt download (C2SP tlog-proof), ``?event=<leaf index>`` choosing one of its
    events (by default the newest). Call from a view that has checked the personal link."""
    raw = request.GET.get("event", "")
    index = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    if raw and index is None:
        raise Http404
    data = receipt_file(statement_id, public_id, index)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="text/plain; charset=utf-8")
    number = index if index is not None else tlog.parse_proof_file(data).index
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-receipt-{number}.tlog-proof"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
