"""Reading the site's transparency log: the published checkpoint with its cosignatures, tiles and
entry bundles at their C2SP paths, and a signer's receipts (C2SP tlog-proof)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from undersigned.ledger import tlog
from undersigned.ledger.models import LogCheckpoint, LogCosignature, LogHash, LogLeaf, ReceiptSecret
from undersigned.ledger.site_log import StoredHashes, takes_commitment


def read_hashes(indexes: Sequence[int]) -> list[bytes]:
    return StoredHashes(LogHash).read(list(indexes))


def newest_checkpoint() -> LogCheckpoint | None:
    return LogCheckpoint.objects.order_by("-pk").first()


@dataclass(frozen=True)
class CosignatureView:
    witness: str
    at: datetime
    received_at: datetime


@dataclass(frozen=True)
class PublishedCheckpoint:
    size: int
    root: bytes
    signed_at: datetime
    note: bytes  # the log's signed note with every cosignature line after the log's
    cosignatures: list[CosignatureView]


def published_checkpoint() -> PublishedCheckpoint | None:
    """The newest checkpoint as served at ``/log/checkpoint``: the log's signature, then the
    cosignatures the witnesses gave it."""
    checkpoint = newest_checkpoint()
    if checkpoint is None:
        return None
    cosignatures = list(
        LogCosignature.objects.filter(checkpoint=checkpoint).select_related("witness").order_by("witness__name")
    )
    note = checkpoint.note.encode() + "".join(cosignature.line for cosignature in cosignatures).encode()
    return PublishedCheckpoint(
        size=checkpoint.size,
        root=bytes(checkpoint.root),
        signed_at=checkpoint.signed_at,
        note=note,
        cosignatures=[
            CosignatureView(
                witness=cosignature.witness.name,
                at=datetime.fromtimestamp(cosignature.timestamp, tz=checkpoint.signed_at.tzinfo),
                received_at=cosignature.received_at,
            )
            for cosignature in cosignatures
        ],
    )


def tile_bytes(tile: tlog.Tile, published_size: int) -> bytes | None:
    """The tile's content, or None when the published tree does not have that tile."""
    if tile.level < 0:
        return _entry_bundle(tile, published_size)
    # Any partial width the published tree has is served (a reader holding an older checkpoint
    # asks for the width that checkpoint implies; its content never changes).
    if tile.index * tlog.TILE_WIDTH + tile.width > published_size >> (tlog.TILE_HEIGHT * tile.level):
        return None
    return tlog.tile_data(tile, read_hashes)


def _entry_bundle(tile: tlog.Tile, published_size: int) -> bytes | None:
    start = tile.index * tlog.TILE_WIDTH
    if start + tile.width > published_size:
        return None
    entries = LogLeaf.objects.filter(index__gte=start, index__lt=start + tile.width).order_by("index")
    texts = [leaf.encode() for leaf in entries.values_list("entry", flat=True)]
    if len(texts) != tile.width:
        return None
    return tlog.entry_bundle(texts)


@dataclass(frozen=True)
class LoggedEvent:
    index: int
    kind: str
    seq: int
    at: str


def logged_events_of(statement_id: int, public_id: str, *, up_to: int | None = None) -> list[LoggedEvent]:
    """The signature's (or sign-on's) events in the log, oldest first: its confirmation or
    approval, then any withdrawal, invalidation or restoration; those the published checkpoint
    covers (or the first ``up_to`` leaves)."""
    if up_to is None:
        newest = newest_checkpoint()
        up_to = newest.size if newest is not None else 0
    if not up_to:
        return []
    return [
        LoggedEvent(index, kind, seq, at)
        for index, kind, seq, at in LogLeaf.objects.filter(
            ledger_entry__statement_id=statement_id, ledger_entry__subject=public_id, index__lt=up_to
        )
        .order_by("index")
        .values_list("index", "ledger_entry__kind", "ledger_entry__seq", "ledger_entry__at")
        if takes_commitment(kind)
    ]


def receipt_file(statement_id: int, public_id: str, index: int | None = None) -> bytes | None:
    """The receipt (C2SP tlog-proof) of the event at leaf ``index`` of this signature or sign-on,
    by default its newest, proven against the published checkpoint; None until it is sealed and
    covered by a checkpoint, or when the event is not this signature's."""
    published = published_checkpoint()
    if published is None:
        return None
    events = logged_events_of(statement_id, public_id, up_to=published.size)
    event = next((item for item in events if item.index == index), None) if index is not None else None
    if index is None and events:
        event = events[-1]
    secret = (
        ReceiptSecret.objects.filter(statement_id=statement_id, subject=public_id)
        .values_list("secret", flat=True)
        .first()
    )
    if event is None or secret is None:
        return None
    entry = LogLeaf.objects.values_list("entry", flat=True).get(index=event.index)
    holder = {"entry": entry, "secret": bytes(secret).hex()}
    extra = json.dumps(holder, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    proof = tlog.inclusion_proof(event.index, published.size, read_hashes)
    return tlog.ProofFile(index=event.index, proof=tuple(proof), checkpoint=published.note, extra=extra).serialise()
