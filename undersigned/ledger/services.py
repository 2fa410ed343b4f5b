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
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import audit, process_caches
from undersigned.core.exceptions import DomainError
from undersigned.core.single_use import first_use
from undersigned.ledger import site_log
from undersigned.ledger.chain import GENESIS, KINDS, apply, chain_hash, empty_counts
from undersigned.ledger.models import Checkpoint, LedgerEntry, Milestone, PendingEvent
from undersigned.permissions.roles import can_manage_statement
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
    # Robust: the change has committed; a queue that is down must not turn it into an error page
    # (the next change, or `seal_ledger`, seals what is pending).
    transaction.on_commit(schedule_sealing, robust=True)


_scheduled_window = -1  # the last window this process enqueued a sealing for (or saw enqueued)


def schedule_sealing() -> None:
    """Enqueues one sealing task per ``SEAL_DELAY_SECONDS`` window, however many events arrive:
    each process asks the shared store once per window, not once per event."""
    global _scheduled_window
    window = int(timezone.now().timestamp() // SEAL_DELAY_SECONDS)
    if window == _scheduled_window:
        return
    if first_use(f"ledger-seal:{window}", ttl_seconds=SEAL_DELAY_SECONDS * 3):
        from undersigned.ledger.tasks import seal_ledger

        seal_ledger.using(run_after=timezone.now() + timedelta(seconds=SEAL_DELAY_SECONDS)).enqueue()
    _scheduled_window = window


def forget_scheduled_sealing() -> None:
    """Makes this process ask the shared store again before it enqueues a sealing."""
    global _scheduled_window
    _scheduled_window = -1


process_caches.register(
    __name__,
    "_scheduled_window",
    clear=forget_scheduled_sealing,
    never_stale="remembers only that the current window's sealing is enqueued, which stays true",
)


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
                    site_log.append_entries(_chain(statement_id, events))
                    statements.add(statement_id)
                    sealed += len(events)
            PendingEvent.objects.filter(pk__in=still_pending).delete()
            if site_log.sign_checkpoint() is not None:
                transaction.on_commit(schedule_witnessing, robust=True)
        if len(pending) < batch:
            break
    if not sealed:
        # A log key set since the last sealing signs the log as it stands; and a witness that was
        # down or refused at the last checkpoint is asked again (the timer's `seal_ledger` runs this
        # every few minutes, with or without new signatures).
        with transaction.atomic():
            if site_log.sign_checkpoint() is not None or _witnesses_behind():
                transaction.on_commit(schedule_witnessing, robust=True)
    return SealingOutcome(sealed=sealed, statements=len(statements))


def _witnesses_behind() -> bool:
    from undersigned.ledger.log_selectors import newest_checkpoint
    from undersigned.ledger.models import LogWitness

    newest = newest_checkpoint()
    return newest is not None and LogWitness.objects.filter(active=True, known_size__lt=newest.size).exists()


def _chain(statement_id: int, events: list[PendingEvent]) -> list[tuple[LedgerEntry, dict[str, Any]]]:
    """Chains ``events`` after the statement's head; returns the entries written with their
    documents, for the site log."""
    head = Checkpoint.objects.filter(statement_id=statement_id).order_by("-seq").first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    counts = head.counts if head else empty_counts()
    slug = Statement.objects.values_list("slug", flat=True).get(pk=statement_id)
    waiting = list(Milestone.objects.filter(statement_id=statement_id, reached_at__isnull=True).order_by("count"))
    entries: list[LedgerEntry] = []
    documents: list[dict[str, Any]] = []

    def append(kind: str, subject: str, country: str, detail: dict[str, Any], at: str) -> None:
        nonlocal seq, prev_hash
        seq += 1
        body = {
            "seq": seq,
            "statement": slug,
            "kind": kind,
            "subject": subject,
            "country": country,
            "at": at,
            "detail": detail,
        }
        digest = chain_hash(prev_hash, body)
        documents.append({**body, "prev_hash": prev_hash, "hash": digest})
        entries.append(
            LedgerEntry(
                statement_id=statement_id,
                seq=seq,
                kind=kind,
                subject=subject,
                country=country,
                detail=detail,
                at=at,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest

    for event in events:
        at = _iso(event.at)
        append(event.kind, event.subject, event.country, event.detail, at)
        apply(counts, event.kind, event.country)
        while waiting and counts["signatures"]["total"] >= waiting[0].count:
            milestone = waiting.pop(0)
            append("milestone.reached", f"milestone-{milestone.count}", "", {"count": milestone.count}, at)
            Milestone.objects.filter(pk=milestone.pk).update(reached_at=event.at, reached_seq=seq)
    LedgerEntry.objects.bulk_create(entries)
    Checkpoint.objects.create(statement_id=statement_id, seq=seq, hash=prev_hash, counts=counts)
    return list(zip(entries, documents, strict=True))


def schedule_witnessing() -> None:
    """Sends the newest checkpoint to the witnesses, in the background (if any are set)."""
    from undersigned.ledger.models import LogWitness

    if LogWitness.objects.filter(active=True).exists():
        from undersigned.ledger.tasks import send_checkpoint_to_witnesses

        send_checkpoint_to_witnesses.enqueue()


MAX_MILESTONES = 20


def milestones_set(*, actor: User | None, statement: Statement, counts: list[int]) -> list[Milestone]:
    """The statement's milestones become ``counts``; those already reached stay as they are, with
    their record in the ledger."""
    if actor is not None and not can_manage_statement(actor, statement):
        raise DomainError("forbidden", _("Only the statement's editors set its milestones."), status=403)
    wanted = sorted(set(counts))
    if any(count < 1 or count > 1_000_000_000 for count in wanted):
        raise DomainError("bad_count", _("A milestone is a whole number from 1 to 1,000,000,000."))
    if len(wanted) > MAX_MILESTONES:
        raise DomainError("too_many", _("Set at most 20 milestones."))
    with transaction.atomic():
        Milestone.objects.filter(statement=statement, reached_at__isnull=True).exclude(count__in=wanted).delete()
        for count in wanted:
            Milestone.objects.get_or_create(statement=statement, count=count)
        audit.record(actor=actor, action="milestones.set", subject=statement, detail={"counts": wanted})
    return list(Milestone.objects.filter(statement=statement))
