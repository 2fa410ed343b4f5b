"""A trustee's age identity file, read for the length of one command (``reseal``, ``send_update``).

The identities are held in memory only; nothing here writes, logs or prints a key or what a key
opens. ``-`` reads the file from standard input, so a trustee can run a command on the server
without the key ever being written to its disk (``ssh server manage.py reseal --identity - < key.txt``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyrage
from pyrage import x25519

# An identity file holds a few lines; anything much larger is not one.
MAX_IDENTITY_FILE_BYTES = 64 * 1024
_AGE_ENCRYPTED = ("age-encryption.org/", "-----BEGIN AGE ENCRYPTED FILE-----")


class IdentityFileError(ValueError):
    """The identity file cannot be read or holds no usable age identity. The message names the
    problem and never quotes the file's content."""


@dataclass(frozen=True)
class TrusteeIdentities:
    identities: tuple[x25519.Identity, ...]
    public_keys: tuple[str, ...]

    def open(self, sealed: bytes) -> bytes | None:
        """The plain record, or None when none of these keys opens it (or it is damaged)."""
        try:
            return bytes(pyrage.decrypt(sealed, list(self.identities)))
        except pyrage.DecryptError:
            return None


def read_identity_file(name: str, stdin: TextIO | None = None) -> TrusteeIdentities:
    """Every ``AGE-SECRET-KEY-1…`` identity in the file named ``name`` (``-``: standard input), as
    ``create_trustee_key`` and ``age-keygen`` write them; comments and blank lines are skipped."""
    text = _read(name, stdin)
    if text.lstrip().startswith(_AGE_ENCRYPTED):
        raise IdentityFileError(
            "the identity file is itself encrypted (a passphrase-protected key); decrypt it into a pipe "
            "instead, e.g. `age -d key.age | manage.py … --identity -`"
        )
    identities: list[x25519.Identity] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-PLUGIN-"):
            raise IdentityFileError(f"line {number} of the identity file is a plugin identity; only X25519 keys work")
        if not line.startswith("AGE-SECRET-KEY-1"):
            raise IdentityFileError(f"line {number} of the identity file is not an age identity (AGE-SECRET-KEY-1…)")
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise IdentityFileError(f"line {number} of the identity file is not a valid age identity") from None
    if not identities:
        raise IdentityFileError("the identity file holds no AGE-SECRET-KEY-1… line")
    public_keys = tuple(dict.fromkeys(str(identity.to_public()) for identity in identities))
    return TrusteeIdentities(identities=tuple(identities), public_keys=public_keys)


def _read(name: str, stdin: TextIO | None) -> str:
    try:
        if name == "-":
            text = (stdin or sys.stdin).read(MAX_IDENTITY_FILE_BYTES + 1)
        else:
            with Path(name).open("rb") as key_file:
                text = key_file.read(MAX_IDENTITY_FILE_BYTES + 1).decode("ascii")
    except OSError as error:
        raise IdentityFileError(f"cannot read the identity file {name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise IdentityFileError("the identity file is not an age identity file (it is not plain text)") from None
    if len(text) > MAX_IDENTITY_FILE_BYTES:
        raise IdentityFileError("the identity file is too large to be an age identity file")
    return text
