"""Random public ids: a signature's or sign-on's name in the public ledger and on receipts."""

from __future__ import annotations

import secrets

# Crockford's base 32 without I, L, O and U: nothing to misread when a receipt is typed in.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 80 random bits


def new_public_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_public_id(value: str) -> bool:
    """Whether ``value`` could be a public id at all: a receipt with anything else names nothing,
    and is not worth a query (PostgreSQL refuses some characters, NUL among them, outright)."""
    return 0 < len(value) <= 20 and all(character in ALPHABET for character in value)


def normalise_public_id(raw: str) -> str:
    """What a person types, as stored: upper case, without spaces or dashes, O read as 0, I and L as 1."""
    cleaned = "".join(raw.split()).replace("-", "").upper()
    return cleaned.translate(str.maketrans("OIL", "011"))[:40]
