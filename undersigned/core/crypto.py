"""Keys and the three things done with them.

- ``keyed_hash``: an HMAC of a value under the first of ``DATA_KEYS``, for duplicate checks and rate
  limits without keeping the value (an email address, a network); ``older_keyed_hashes`` under the
  others, to move records to the first key when their value is seen again (``privacy.rehash``).
- ``server_encrypt``/``server_decrypt``: short-lived records that the server itself must read back
  (an outgoing mail's address), with keys derived from every entry of ``DATA_KEYS`` so that a
  rotated key still opens what it sealed.
- ``seal``: encryption to trustees' ``age`` public keys; the server can write but never read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

import pyrage
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from pyrage import x25519

from undersigned.core import process_caches


class SealingError(ValueError):
    """A public key is not an age X25519 recipient, or there is no one to seal to."""


def keyed_hash(purpose: str, value: str) -> str:
    """Hex HMAC-SHA256 of ``value``; ``purpose`` keeps hashes of different kinds apart."""
    return hmac.new(settings.DATA_KEYS[0], f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def older_keyed_hashes(purpose: str, value: str) -> list[str]:
    """``keyed_hash`` under each data key after the first: what a record stored before the last
    rotation was hashed with, so that it can be found once more and hashed again with the first."""
    return [
        hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest() for key in settings.DATA_KEYS[1:]
    ]


def derived_key(purpose: str, key: bytes | None = None) -> bytes:
    """32 bytes for ``purpose`` derived from a data key (the first by default), never the key itself."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        key or settings.DATA_KEYS[0]
    )


@process_caches.register_function(never_stale="keyed by the data keys it is derived from")
@lru_cache(maxsize=4)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived_key("server-records", key))) for key in keys])


def server_encrypt(data: bytes) -> bytes:
    return _fernet(tuple(settings.DATA_KEYS)).encrypt(data)


def server_decrypt(token: bytes) -> bytes:
    """Raises ``InvalidToken`` when no data key opens ``token``."""
    return _fernet(tuple(settings.DATA_KEYS)).decrypt(token)


def parse_recipient(public_key: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(public_key.strip())
    except Exception as error:  # pyrage raises its own RecipientError or ValueError by version
        raise SealingError("not an age X25519 public key (age1…)") from error


def seal(data: bytes, public_keys: Sequence[str]) -> bytes:
    """``data`` encrypted in the age format so that any one of ``public_keys`` can open it."""
    if not public_keys:
        raise SealingError("no public key to seal to")
    return bytes(pyrage.encrypt(data, [parse_recipient(key) for key in public_keys]))


def new_identity() -> tuple[str, str]:
    """A fresh age X25519 key pair as (private identity ``AGE-SECRET-KEY-1…``, public key ``age1…``)."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def open_sealed(data: bytes, identity: str) -> bytes:
    """For trustees' tools only: the server never holds an identity."""
    return bytes(pyrage.decrypt(data, [x25519.Identity.from_str(identity.strip())]))
