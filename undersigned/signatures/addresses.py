"""One person, one signature: the keyed hash of the signer's email address, normalised by
``core.addresses`` so that one mailbox is one signature however its address is spelled.
"""

from __future__ import annotations

from undersigned.core.addresses import normalise_email
from undersigned.core.crypto import keyed_hash, older_keyed_hashes


def email_hash(raw: str) -> str:
    return keyed_hash("signer-email", normalise_email(raw))


def older_email_hashes(raw: str) -> list[str]:
    return older_keyed_hashes("signer-email", normalise_email(raw))
