"""The canonical form of a revision and its SHA-256, which anyone can recompute.

Canonical form, version 1: a JSON object with exactly the keys ``v`` (1), ``language``, ``title``,
``dateline_date`` (ISO 8601 or null), ``dateline_place``, ``headline_calls`` (a list), ``body``
and ``call_to_action``; keys sorted, no whitespace between tokens, non-ASCII characters written as
themselves, encoded as UTF-8. The text is taken exactly as stored: no Unicode normalisation, so
a curly quote and a straight one give different hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Protocol

CANONICAL_VERSION = 1


def canonical_bytes(
    *,
    language: str,
    title: str,
    dateline_date: date | None,
    dateline_place: str,
    headline_calls: Sequence[str],
    body: str,
    call_to_action: str,
) -> bytes:
    document = {
        "v": CANONICAL_VERSION,
        "language": language,
        "title": title,
        "dateline_date": dateline_date.isoformat() if dateline_date else None,
        "dateline_place": dateline_place,
        "headline_calls": list(headline_calls),
        "body": body,
        "call_to_action": call_to_action,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class TextLike(Protocol):
    """A working copy or a revision: anything with a text's fields."""

    title: str
    dateline_date: date | None
    dateline_place: str
    headline_calls: list[str]
    body: str
    call_to_action: str


def canonical_bytes_of(text: TextLike, *, language: str) -> bytes:
    return canonical_bytes(
        language=language,
        title=text.title,
        dateline_date=text.dateline_date,
        dateline_place=text.dateline_place,
        headline_calls=text.headline_calls,
        body=text.body,
        call_to_action=text.call_to_action,
    )


def canonical_sha256_of(text: TextLike, *, language: str) -> str:
    return hashlib.sha256(canonical_bytes_of(text, language=language)).hexdigest()
