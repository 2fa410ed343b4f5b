"""Reading the site's transparency log: the published checkpoint with its cosignatures, tiles and
entry bundles at their C2SP paths, and a signer's receipts (C2SP tlog-proof)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from undersigned.ledger import tlog
from undersigned.ledger.models import LedgerEntry, LogCheckpoint, LogCosignature, LogHash, LogLeaf, ReceiptSecret
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
class ReceiptView:
    index: int
    kind: str
    seq: int
    at: str
    proof_file: bytes


def receipts_of(statement_id: int, public_id: str) -> list[ReceiptView]:
    """A receipt for each of the signature's (or sign-on's) events in the published log, oldest
    first: the confirmation, then any withdrawal, invalidation or restoration. Empty until the
    first is sealed and a checkpoint covers it."""
    published = published_checkpoint()
    if published is None:
        return []
    secret = (
        ReceiptSecret.objects.filter(statement_id=statement_id, subject=public_id)
        .values_list("secret", flat=True)
        .first()
    )
    if secret is None:
        return []
    leaves = (
        LogLeaf.objects.filter(
            ledger_entry__statement_id=statement_id, ledger_entry__subject=public_id, index__lt=published.size
        )
        .select_related("ledger_entry")
        .order_by("index")
    )
    receipts = []
    for leaf in leaves:
        entry: LedgerEntry = leaf.ledger_entry
        if not takes_commitment(entry.kind):
            continue
        extra = json.dumps(
            {"entry": leaf.entry, "secret": bytes(secret).hex()},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        proof = tlog.inclusion_proof(leaf.index, published.size, read_hashes)
        proof_file = tlog.ProofFile(index=leaf.index, proof=tuple(proof), checkpoint=published.note, extra=extra)
        receipts.append(ReceiptView(leaf.index, entry.kind, entry.seq, entry.at, proof_file.serialise()))
    return receipts
