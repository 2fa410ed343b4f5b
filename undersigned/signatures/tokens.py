"""Signed links in signers' emails. They name a signature and its statement; nothing else.

A confirmation link expires after ``CONFIRM_DAYS``; a withdrawal link does not, so a signer can
change their mind for as long as the signature exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

CONFIRM_DAYS = 7
_CONFIRM_SALT = "undersigned.signatures.confirm"
_WITHDRAW_SALT = "undersigned.signatures.withdraw"


class TokenExpiredError(Exception):
    pass


class TokenInvalidError(Exception):
    pass


@dataclass(frozen=True)
class SignatureRef:
    signature_id: int
    statement_id: int


def _dump(ref: SignatureRef, salt: str) -> str:
    return signing.TimestampSigner(salt=salt).sign_object([ref.signature_id, ref.statement_id], compress=False)


def _load(token: str, salt: str, max_age: timedelta | None) -> SignatureRef:
    try:
        value = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpiredError from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalidError from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(item, int) for item in value)):
        raise TokenInvalidError
    return SignatureRef(signature_id=value[0], statement_id=value[1])


def confirm_token(ref: SignatureRef) -> str:
    return _dump(ref, _CONFIRM_SALT)


def read_confirm_token(token: str) -> SignatureRef:
    return _load(token, _CONFIRM_SALT, timedelta(days=CONFIRM_DAYS))


def withdraw_token(ref: SignatureRef) -> str:
    return _dump(ref, _WITHDRAW_SALT)


def read_withdraw_token(token: str) -> SignatureRef:
    return _load(token, _WITHDRAW_SALT, None)
