"""The site's transparency log: what a verifier needs to start (its name, keys, the newest
checkpoint with its cosignatures, the witnesses' keys and where the tiles are)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from undersigned.api.schemas import READ_ERRORS
from undersigned.ledger import site_log
from undersigned.ledger.log_selectors import published_checkpoint
from undersigned.ledger.models import LogWitness

router = Router(tags=["transparency log"])


class Cosignature(Schema):
    witness: str = Field(description="The witness's key name.")
    at: datetime = Field(description="When the witness cosigned (the cosignature's timestamp).")


class LogCheckpoint(Schema):
    size: int = Field(description="Entries the checkpoint covers.")
    root_hash: str = Field(description="The tree's root, base64 (RFC 6962 SHA-256).")
    signed_at: datetime
    note: str = Field(description="The checkpoint as a C2SP signed note, with every cosignature: as served at `tiles`.")
    cosignatures: list[Cosignature]


class LogWitnessKey(Schema):
    name: str
    vkey: str = Field(description="Its cosignature public key (C2SP tlog-cosignature, signed-note verifier key).")


class LogDescription(Schema):
    origin: str | None = Field(
        description="The log's name: the checkpoints' first line (null before a log key is set)."
    )
    public_keys: list[str] = Field(description="The log's verifier keys (C2SP signed-note); the first is current.")
    tiles: str = Field(description="The URL prefix of the log as C2SP tlog-tiles (checkpoint, tile/…).")
    checkpoint: LogCheckpoint | None = Field(description="The newest checkpoint, null before the first.")
    witnesses: list[LogWitnessKey] = Field(description="The witnesses asked to cosign each checkpoint.")


@router.get("", response={200: LogDescription, **READ_ERRORS}, summary="The site's transparency log")
def log_description(request: HttpRequest) -> dict[str, Any]:
    published = published_checkpoint()
    return {
        "origin": site_log.log_origin(),
        "public_keys": [verifier.vkey for verifier in site_log.log_verifiers()],
        "tiles": site_log.log_url(),
        "checkpoint": None
        if published is None
        else {
            "size": published.size,
            "root_hash": base64.b64encode(published.root).decode(),
            "signed_at": published.signed_at,
            "note": published.note.decode(),
            "cosignatures": [{"witness": item.witness, "at": item.at} for item in published.cosignatures],
        },
        "witnesses": [
            {"name": witness.name, "vkey": witness.vkey}
            for witness in LogWitness.objects.filter(active=True).order_by("name")
        ],
    }
