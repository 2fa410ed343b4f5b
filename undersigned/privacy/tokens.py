"""The emailed link to a person's own data ("your data" link).

It names the person by the two keyed hashes their records are found by (a signer's, global across
statements, and an organisation contact's), never by the address itself, and expires after
``LINK_HOURS``. Once the records are erased their hashes are gone, so the same link finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from undersigned.core.links import TokenExpiredError, TokenInvalidError
from undersigned.organisations.services.names import contact_email_hash
from undersigned.signatures.addresses import email_hash

LINK_HOURS = 24
_SALT = "undersigned.privacy.your-data"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PersonRef:
    """Whose records a link opens: the keyed hashes of one address."""

    signer_hash: str
    contact_hash: str

    @classmethod
    def of_address(cls, email: str) -> PersonRef:
        """Raises ``InvalidAddressError`` for an address that cannot be normalised."""
        return cls(signer_hash=email_hash(email), contact_hash=contact_email_hash(email))


def data_link_token(ref: PersonRef) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object([ref.signer_hash, ref.contact_hash])


def read_data_link_token(token: str) -> PersonRef:
    """Raises ``TokenExpiredError`` after ``LINK_HOURS``, ``TokenInvalidError`` if forged or altered."""
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=timedelta(hours=LINK_HOURS))
    except signing.SignatureExpired:
        raise TokenExpiredError from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalidError from None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(item, str) and _HASH.fullmatch(item) for item in value)
    ):
        raise TokenInvalidError
    return PersonRef(signer_hash=value[0], contact_hash=value[1])
