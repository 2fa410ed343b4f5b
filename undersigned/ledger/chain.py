"""The hash chain of a statement's count ledger: canonical JSON of an event and the chain step.

``tools/verify_statement.py`` repeats these few lines with the standard library only, so anyone
can re-check an export without this code; ``test_the_standalone_script_agrees`` keeps them equal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64

# What each kind of event does to a count: (which count, change).
EFFECTS: dict[str, tuple[str, int]] = {
    "signature.confirmed": ("signatures", +1),
    "signature.withdrawn": ("signatures", -1),
    "signature.invalidated": ("signatures", -1),
    "signature.restored": ("signatures", +1),
    "sign_on.approved": ("organisations", +1),
    "sign_on.withdrawn": ("organisations", -1),
}
# Recorded for the record, changing no count.
NEUTRAL_KINDS = {
    "sign_on.rejected",
    "signature.held",
    "signature.dismissed",
    "personal_data.exported",
    "milestone.reached",
    "statement.delivered",
}
KINDS = set(EFFECTS) | NEUTRAL_KINDS


def canonical_json(event: dict[str, Any]) -> str:
    """The event without its hashes, as one line: sorted keys, no spaces, UTF-8 kept."""
    body = {key: value for key, value in event.items() if key not in {"hash", "prev_hash"}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(event)}".encode()).hexdigest()


def empty_counts() -> dict[str, Any]:
    return {"signatures": {"total": 0, "by_country": {}}, "organisations": {"total": 0, "by_country": {}}}


def apply(counts: dict[str, Any], kind: str, country: str) -> None:
    """Adds the event's effect to ``counts`` (as made by ``empty_counts``)."""
    if kind not in EFFECTS:
        return
    name, delta = EFFECTS[kind]
    count = counts[name]
    count["total"] += delta
    by_country = count["by_country"]
    by_country[country] = by_country.get(country, 0) + delta
    if by_country[country] == 0:
        del by_country[country]
