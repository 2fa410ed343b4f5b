"""Signed links in organisation contacts' emails.

A sign-on's confirmation link expires after ``CONFIRM_DAYS``; its withdrawal link does not. A
member contact's sign-in link expires after ``SIGN_IN_MINUTES`` and is spent by its first use; it
carries the contact's address encrypted with a server key, never in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import InvalidToken
from django.core import signing

from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.core.links import TokenExpiredError, TokenInvalidError, dump_ids, load_ids

CONFIRM_DAYS = 7
SIGN_IN_MINUTES = 60
_CONFIRM_SALT = "undersigned.organisations.confirm"
_WITHDRAW_SALT = "undersigned.organisations.withdraw"
_SIGN_IN_SALT = "undersigned.organisations.member-sign-in"


@dataclass(frozen=True)
class SignOnRef:
    sign_on_id: int
    statement_id: int


def confirm_token(ref: SignOnRef) -> str:
    return dump_ids([ref.sign_on_id, ref.statement_id], salt=_CONFIRM_SALT)


def read_confirm_token(token: str) -> SignOnRef:
    sign_on_id, statement_id = load_ids(token, salt=_CONFIRM_SALT, count=2, max_age=timedelta(days=CONFIRM_DAYS))
    return SignOnRef(sign_on_id=sign_on_id, statement_id=statement_id)


def withdraw_token(ref: SignOnRef) -> str:
    return dump_ids([ref.sign_on_id, ref.statement_id], salt=_WITHDRAW_SALT)


def read_withdraw_token(token: str) -> SignOnRef:
    sign_on_id, statement_id = load_ids(token, salt=_WITHDRAW_SALT, count=2, max_age=None)
    return SignOnRef(sign_on_id=sign_on_id, statement_id=statement_id)


def sign_in_token(email: str) -> str:
    sealed = server_encrypt(email.encode("utf-8")).decode("ascii")
    return signing.TimestampSigner(salt=_SIGN_IN_SALT).sign_object({"a": sealed}, compress=True)


def read_sign_in_token(token: str) -> str:
    """The address a sign-in link was sent to; raises if the link is forged, altered or expired."""
    try:
        value = signing.TimestampSigner(salt=_SIGN_IN_SALT).unsign_object(
            token, max_age=timedelta(minutes=SIGN_IN_MINUTES)
        )
    except signing.SignatureExpired:
        raise TokenExpiredError from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalidError from None
    if not isinstance(value, dict) or not isinstance(value.get("a"), str):
        raise TokenInvalidError
    try:
        return server_decrypt(value["a"].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise TokenInvalidError from None
