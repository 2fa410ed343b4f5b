"""Signed links sent by email: a few integer ids, signed with the site's key and a purpose (salt),
optionally expiring. They carry no personal data."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing


class TokenExpiredError(Exception):
    pass


class TokenInvalidError(Exception):
    pass


def dump_ids(ids: list[int], *, salt: str) -> str:
    return signing.TimestampSigner(salt=salt).sign_object(ids, compress=False)


def load_ids(token: str, *, salt: str, count: int, max_age: timedelta | None) -> list[int]:
    """The ids of a token made by ``dump_ids`` with the same salt; raises if forged, altered or expired."""
    try:
        value = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpiredError from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalidError from None
    if not (isinstance(value, list) and len(value) == count and all(type(item) is int for item in value)):
        raise TokenInvalidError
    return value
