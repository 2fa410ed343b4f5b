"""The trustees of each issuing body, and the public keys contact data is sealed to: read from the
database, or from this process's short-lived copy on the hot path (signing, signing on)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass

from undersigned.core import process_caches
from undersigned.sealing.models import SEALED_TO_LENGTH, Trustee


def trustees_for(commission_id: int | None) -> list[Trustee]:
    """The active trustees of an issuing body; ``None`` is the federation as a whole."""
    trustees = Trustee.objects.filter(is_active=True).order_by("pk")
    if commission_id is None:
        return list(trustees.filter(commission__isnull=True))
    return list(trustees.filter(commission_id=commission_id))


@dataclass(frozen=True)
class SealingKeys:
    """The public keys of an issuing body's active trustees, and the fingerprint of that set, which
    every record sealed to them keeps in its ``sealed_to``."""

    public_keys: tuple[str, ...]
    fingerprint: str


def key_set_fingerprint(public_keys: Iterable[str]) -> str:
    """Names a set of public keys: the same keys in any order give the same fingerprint, and any
    key added or removed gives another. Hex of SHA-256 over the sorted keys, shortened."""
    joined = "\n".join(sorted({key.strip() for key in public_keys}))
    return hashlib.sha256(joined.encode("ascii")).hexdigest()[:SEALED_TO_LENGTH]


def current_sealing_keys(commission_id: int | None) -> SealingKeys:
    """Read from the database now; ``sealing_key_set_for`` is the cached reading for the hot path."""
    keys = tuple(trustee.public_key for trustee in trustees_for(commission_id))
    return SealingKeys(public_keys=keys, fingerprint=key_set_fingerprint(keys))


# The keys contact data is sealed to, per issuing body, as each process last read them: a busy
# sign form reads them (and hashes them into their fingerprint) once every few seconds instead of
# once per signature. A trustee added or removed here is seen at once by this process and within
# that time by the others; what they seal meanwhile names the old set in ``sealed_to``, so
# ``manage.py reseal`` finds it.
TRUSTEE_KEYS_SECONDS = 5.0
_trustee_keys: dict[int | None, tuple[float, SealingKeys]] = {}


def sealing_key_set_for(commission_id: int | None) -> SealingKeys:
    cached = _trustee_keys.get(commission_id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < TRUSTEE_KEYS_SECONDS:
        return cached[1]
    keys = current_sealing_keys(commission_id)
    _trustee_keys[commission_id] = (now, keys)
    return keys


def sealing_keys_for(commission_id: int | None) -> list[str]:
    return list(sealing_key_set_for(commission_id).public_keys)


def forget_sealing_keys() -> None:
    _trustee_keys.clear()


process_caches.register(__name__, "_trustee_keys", clear=forget_sealing_keys, stale_seconds=TRUSTEE_KEYS_SECONDS)
