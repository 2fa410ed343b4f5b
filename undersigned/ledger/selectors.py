"""Reading and checking the count ledger: a statement's head, its export, and the verification
that recomputes the chain and the counts and compares them with the head and the counters."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import TruncHour

from undersigned.core.progress import Progress, silent
from undersigned.core.public_ids import is_public_id
from undersigned.ledger.chain import GENESIS, apply, chain_hash, empty_counts
from undersigned.ledger.models import Checkpoint, LedgerEntry, PendingEvent
from undersigned.statements.models import Statement


def head_of(statement_id: int) -> Checkpoint | None:
    return Checkpoint.objects.filter(statement_id=statement_id).order_by("-seq").first()


def head_document(statement: Statement, seq: int | None = None) -> dict[str, Any]:
    """What the transparency page publishes as the head (the latest, or the one at ``seq``), and
    what the stand-alone script compares."""
    head = head_of(statement.pk) if seq is None else Checkpoint.objects.filter(statement=statement, seq=seq).first()
    return {
        "statement": statement.slug,
        "seq": head.seq if head else 0,
        "hash": head.hash if head else GENESIS,
        "counts": head.counts if head else empty_counts(),
        "sealed_at": head.sealed_at.isoformat() if head else None,
    }


def entry_document(entry: LedgerEntry, slug: str) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "statement": slug,
        "kind": entry.kind,
        "subject": entry.subject,
        "country": entry.country,
        "at": entry.at,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def export_lines(statement: Statement, *, up_to: int | None = None) -> Iterator[str]:
    """The statement's ledger as JSON Lines, in order, up to ``up_to`` (the head's seq when None)."""
    entries = LedgerEntry.objects.filter(statement=statement).order_by("seq")
    if up_to is not None:
        entries = entries.filter(seq__lte=up_to)
    for entry in entries.iterator(chunk_size=2000):
        yield json.dumps(entry_document(entry, statement.slug), ensure_ascii=False, separators=(",", ":")) + "\n"


def find_entry(subject: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(subject=subject).select_related("statement").order_by("-seq").first()


@dataclass
class Verification:
    statement: str
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    def fail(self, seq: int | None, problem: str) -> None:
        if self.first_bad_seq is None and seq is not None:
            self.first_bad_seq = seq
        self.problems.append(problem)


def verify_statement(
    statement: Statement, live_counts: dict[str, Any] | None, progress: Progress | None = None
) -> Verification:
    """Recomputes the chain of ``statement`` from its entries and compares it with its heads; then
    compares the counts the log gives, with the still pending events, with ``live_counts``.
    ``progress`` (a step already started) advances by each entry."""
    progress = progress or silent()
    result = Verification(statement=statement.slug)
    counts = empty_counts()
    prev_hash, expected_seq = GENESIS, 1
    checkpoints = {point.seq: point for point in Checkpoint.objects.filter(statement=statement)}
    for entry in LedgerEntry.objects.filter(statement=statement).order_by("seq").iterator(chunk_size=2000):
        result.entries += 1
        progress.advance()
        document = entry_document(entry, statement.slug)
        if entry.seq != expected_seq:
            result.fail(expected_seq, f"entry {expected_seq} is missing (the next is {entry.seq})")
            expected_seq = entry.seq
        if entry.prev_hash != prev_hash:
            result.fail(entry.seq, f"entry {entry.seq} does not follow the one before it")
        if chain_hash(prev_hash, document) != entry.hash:
            result.fail(entry.seq, f"entry {entry.seq} was changed after it was sealed")
        prev_hash = entry.hash
        apply(counts, entry.kind, entry.country)
        point = checkpoints.pop(entry.seq, None)
        if point is not None:
            if point.hash != entry.hash:
                result.fail(entry.seq, f"the head published at entry {entry.seq} has another hash")
            if point.counts != counts:
                result.fail(entry.seq, f"the counts published at entry {entry.seq} differ from the log's")
        expected_seq += 1
    for seq in sorted(checkpoints):
        result.fail(seq, f"a head was published at entry {seq}, which the log does not have")
    if live_counts is not None:
        for event in PendingEvent.objects.filter(statement=statement).order_by("pk"):
            apply(counts, event.kind, event.country)
        for name in ("signatures", "organisations"):
            if counts[name] != live_counts[name]:
                result.fail(
                    None,
                    f"the {name} counted ({live_counts[name]['total']}, by country {live_counts[name]['by_country']}) "
                    f"differ from the log ({counts[name]['total']}, by country {counts[name]['by_country']})",
                )
    return result


def live_counts(statement_id: int) -> dict[str, Any]:
    """The counters as the pages show them, read now (not from the cache)."""
    # Imported here: the ledger sits below signatures and organisations (they record events in
    # it), and only checking the log against their live counters needs them.
    from undersigned.organisations.models import SignOnTally
    from undersigned.signatures.tallies import tally_for_statement

    tally = tally_for_statement(statement_id, fresh=True)
    organisations: dict[str, int] = {}
    for row in SignOnTally.objects.filter(statement_id=statement_id):
        if row.approved:
            organisations[row.country] = organisations.get(row.country, 0) + int(row.approved)
    return {
        "signatures": {"total": tally.total, "by_country": dict(tally.by_country)},
        "organisations": {"total": sum(organisations.values()), "by_country": organisations},
    }


def verify_all(progress: Progress | None = None) -> list[Verification]:
    """Every statement's ledger against its counters, each read in one consistent snapshot."""
    progress = progress or silent()
    results = []
    progress.start("verifying the ledger", LedgerEntry.objects.count() if progress.shown else None, unit="entries")
    for statement in Statement.objects.order_by("pk"):
        fresh_transaction = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and fresh_transaction:
                connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            results.append(verify_statement(statement, live_counts(statement.pk), progress))
    progress.finish(f"{len(results)} statement(s)")
    return results


# --- What the transparency page shows -----------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str  # when the count was sealed, "YYYY-MM-DD HH:MM" UTC: never a time still to come
    total: int
    # Signatures withdrawn or invalidated since the point before: a line that falls, or that
    # rose and fell back between two points, shows that it did.
    removed: int = 0


REMOVAL_KINDS = ("signature.invalidated", "signature.withdrawn")


def counts_over_time(statement_id: int) -> tuple[list[Point], list[Point]]:
    """The confirmed signatures at the end of each hour (the last 48 with a head) and of each day,
    from the published heads: each head carries the counts the log gave when it was sealed.

    A busy statement has a head every few seconds; the database picks the last head of each hour
    and only those heads' counts are read (at most 48 hours and one per day), however many there are.
    """
    last_of_hour = dict(
        Checkpoint.objects.filter(statement_id=statement_id)
        .annotate(hour=TruncHour("sealed_at", tzinfo=UTC))
        .values("hour")
        .annotate(seq=Max("seq"))
        .order_by("hour")
        .values_list("hour", "seq")
    )
    hour_seqs = list(last_of_hour.items())
    last_of_day: dict[str, int] = {}
    for hour, seq in hour_seqs:
        last_of_day[hour.strftime("%Y-%m-%d")] = seq  # hours in order: the day's last hour wins
    wanted = {seq for _hour, seq in hour_seqs[-48:]} | set(last_of_day.values())
    sealed = {
        seq: (int(counts["signatures"]["total"]), sealed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
        for seq, counts, sealed_at in Checkpoint.objects.filter(statement_id=statement_id, seq__in=wanted).values_list(
            "seq", "counts", "sealed_at"
        )
    }
    # Removals are few beside confirmations (one index range of their kinds): their positions in
    # the log say between which two points each fell.
    removal_seqs = sorted(
        LedgerEntry.objects.filter(statement_id=statement_id, kind__in=REMOVAL_KINDS).values_list("seq", flat=True)
    )

    def points(seqs: list[int], *, starting_after: int) -> list[Point]:
        made, previous = [], starting_after
        for seq in seqs:
            removed = bisect_right(removal_seqs, seq) - bisect_right(removal_seqs, previous)
            made.append(Point(sealed[seq][1], sealed[seq][0], removed))
            previous = seq
        return made

    hour_list = [seq for _hour, seq in hour_seqs[-48:]]
    earlier = [seq for _hour, seq in hour_seqs[:-48]]
    hours = points(hour_list, starting_after=earlier[-1] if earlier else 0)
    days = points(list(last_of_day.values()), starting_after=0)
    published = Statement.objects.filter(pk=statement_id).values_list("published_at", flat=True).first()
    if published and hours and len(hours) == len(hour_seqs):  # the whole story fits: start it at zero
        hours.insert(0, Point(published.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), 0))
    if published and days:
        days.insert(0, Point(published.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), 0))
    return hours, days


def removals(statement_id: int) -> list[tuple[str, str, int]]:
    """(kind, reason, how many) of the log's invalidations and withdrawals."""
    rows: dict[tuple[str, str], int] = {}
    kinds = [
        "signature.invalidated",
        "signature.withdrawn",
        "signature.restored",
        "signature.held",
        "signature.dismissed",
    ]
    for kind, detail in LedgerEntry.objects.filter(statement_id=statement_id, kind__in=kinds).values_list(
        "kind", "detail"
    ):
        key = (kind, str((detail or {}).get("reason", "")))
        rows[key] = rows.get(key, 0) + 1
    return [(kind, reason, count) for (kind, reason), count in sorted(rows.items())]


@dataclass(frozen=True)
class Receipt:
    public_id: str
    state: str  # counted, pending_seal, held, not_counted, unconfirmed, unknown
    seq: int | None = None
    kind: str = ""


def receipt_of(statement: Statement, public_id: str) -> Receipt:
    """Whether the signature or sign-on with ``public_id`` is counted, by its latest event (nothing
    personal): the newest pending one if any, else the newest in the log."""
    from undersigned.ledger.chain import EFFECTS

    if not is_public_id(public_id):
        return Receipt(public_id, "unknown")
    pending = PendingEvent.objects.filter(statement=statement, subject=public_id).order_by("-pk").first()
    entry = LedgerEntry.objects.filter(statement=statement, subject=public_id).order_by("-seq").first()
    latest_kind = pending.kind if pending is not None else entry.kind if entry is not None else None
    if latest_kind is not None:
        if latest_kind == "signature.held":
            state = "held"
        elif latest_kind in EFFECTS and EFFECTS[latest_kind][1] > 0:
            state = "pending_seal" if pending is not None else "counted"
        else:
            state = "not_counted"
        return Receipt(public_id, state, None if pending is not None else entry.seq if entry else None, latest_kind)
    from undersigned.signatures.models import Signature

    if Signature.objects.filter(statement=statement, public_id=public_id).exists():
        return Receipt(public_id, "unconfirmed")
    return Receipt(public_id, "unknown")


@dataclass(frozen=True)
class MilestoneView:
    count: int
    reached_at: Any
    reached_seq: int | None


def milestones_of(statement_id: int) -> list[MilestoneView]:
    """The statement's milestones, cached for a few seconds: the statement page shows the next one."""
    from undersigned.core.caching import cached
    from undersigned.ledger.models import Milestone

    return cached(
        f"milestones:{statement_id}",
        5,
        lambda: [
            MilestoneView(milestone.count, milestone.reached_at, milestone.reached_seq)
            for milestone in Milestone.objects.filter(statement_id=statement_id)
        ],
    )


# --- Deliveries, as the log records them --------------------------------------------------------

DELIVERED = "statement.delivered"


@dataclass(frozen=True)
class DeliveredTarget:
    name: str
    role: str
    organisation: str


@dataclass(frozen=True)
class DeliveryView:
    """One delivery of the statement as its ledger event states it (never an address)."""

    subject: str
    at: datetime
    targets: list[DeliveredTarget]
    signatures: int
    organisations: int
    revision: int
    language: str
    seq: int | None  # None while the event waits to be sealed into the log


def _delivery(subject: str, at: datetime, seq: int | None, detail: dict[str, Any]) -> DeliveryView:
    targets = [
        DeliveredTarget(
            name=str(target.get("name", "")),
            role=str(target.get("role", "")),
            organisation=str(target.get("organisation", "")),
        )
        for target in detail.get("targets", [])
        if isinstance(target, dict)
    ]
    return DeliveryView(
        subject=subject,
        at=at,
        targets=targets,
        signatures=int(detail.get("signatures", 0)),
        organisations=int(detail.get("organisations", 0)),
        revision=int(detail.get("revision", 0)),
        language=str(detail.get("language", "")),
        seq=seq,
    )


def deliveries_of(statement_id: int) -> list[DeliveryView]:
    """The statement's deliveries, oldest first: the sealed ``statement.delivered`` entries, then
    those still waiting to be sealed (so a delivery shows at once, and keeps its time once sealed)."""
    found = [
        _delivery(entry.subject, datetime.fromisoformat(entry.at.replace("Z", "+00:00")), entry.seq, entry.detail)
        for entry in LedgerEntry.objects.filter(statement_id=statement_id, kind=DELIVERED).order_by("seq")
    ]
    sealed = {delivery.subject for delivery in found}
    found += [
        _delivery(event.subject, event.at, None, event.detail)
        for event in PendingEvent.objects.filter(statement_id=statement_id, kind=DELIVERED).order_by("pk")
        if event.subject not in sealed
    ]
    return found
