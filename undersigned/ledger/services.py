"""Writing the count ledger: an event in the transaction that changes a count, and the sealing
that chains pending events in order, in batches, like a transparency log's merge delay."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from undersigned.core import ratelimit
from undersigned.ledger.chain import GENESIS, KINDS, apply, chain_hash, empty_counts
from undersigned.ledger.models import Checkpoint, LedgerEntry, PendingEvent
from undersigned.statements.models import Statement

logger = logging.getLogger(__name__)
SEAL_DELAY_SECONDS = 2
SEAL_BATCH = 5000


def record_event(
    *, statement_id: int, kind: str, subject: str, country: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Appends an event to the statement's pending events. Call inside the transaction that makes
    the change, so the change and its event commit together or not at all. No personal data."""
    if kind not in KINDS:
        raise ValueError(f"unknown ledger event {kind!r}")
    PendingEvent.objects.create(
        statement_id=statement_id, kind=kind, subject=subject, country=country, detail=detail or {}
    )
    transaction.on_commit(schedule_sealing)


def schedule_sealing() -> None:
    """Enqueues one sealing task per ``SEAL_DELAY_SECONDS`` window, however many events arrive."""
    window = int(timezone.now().timestamp() // SEAL_DELAY_SECONDS)
    if not ratelimit.first_time(f"ledger-seal:{window}", ttl_seconds=SEAL_DELAY_SECONDS * 3):
        return
    from undersigned.ledger.tasks import seal_ledger

    seal_ledger.using(run_after=timezone.now() + timedelta(seconds=SEAL_DELAY_SECONDS)).enqueue()


def _iso(moment: Any) -> str:
    return str(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@dataclass(frozen=True)
class SealingOutcome:
    sealed: int
    statements: int


def seal_pending(*, batch: int = SEAL_BATCH) -> SealingOutcome:
    """Chains every pending event, oldest first, and writes each statement's new head.

    Each batch is one transaction holding the statements' rows locked, so two sealers never
    chain the same statement at once; what a batch chains it deletes from the pending events.
    """
    sealed = 0
    statements: set[int] = set()
    while True:
        with transaction.atomic():
            pending = list(PendingEvent.objects.order_by("pk")[:batch])
            if not pending:
                break
            by_statement: dict[int, list[PendingEvent]] = defaultdict(list)
            for event in pending:
                by_statement[event.statement_id].append(event)
            list(
                Statement.objects.select_for_update().filter(pk__in=list(by_statement)).order_by("pk").values_list("pk")
            )
            # Another sealer may have chained some of them while this one waited for the lock.
            still_pending = set(
                PendingEvent.objects.filter(pk__in=[event.pk for event in pending]).values_list("pk", flat=True)
            )
            for statement_id, events in by_statement.items():
                events = [event for event in events if event.pk in still_pending]
                if events:
                    _chain(statement_id, events)
                    statements.add(statement_id)
                    sealed += len(events)
            PendingEvent.objects.filter(pk__in=still_pending).delete()
        if len(pending) < batch:
            break
    return SealingOutcome(sealed=sealed, statements=len(statements))


def _chain(statement_id: int, events: list[PendingEvent]) -> None:
    head = Checkpoint.objects.filter(statement_id=statement_id).order_by("-seq").first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    counts = head.counts if head else empty_counts()
    slug = Statement.objects.values_list("slug", flat=True).get(pk=statement_id)
    entries = []
    for event in events:
        seq += 1
        body = {
            "seq": seq,
            "statement": slug,
            "kind": event.kind,
            "subject": event.subject,
            "country": event.country,
            "at": _iso(event.at),
            "detail": event.detail,
        }
        digest = chain_hash(prev_hash, body)
        entries.append(
            LedgerEntry(
                statement_id=statement_id,
                seq=seq,
                kind=event.kind,
                subject=event.subject,
                country=event.country,
                detail=event.detail,
                at=body["at"],
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        apply(counts, event.kind, event.country)
        prev_hash = digest
    LedgerEntry.objects.bulk_create(entries)
    Checkpoint.objects.create(statement_id=statement_id, seq=seq, hash=prev_hash, counts=counts)
