"""Signed links in organisation contacts' emails.

A sign-on's confirmation link expires after ``CONFIRM_DAYS``; its withdrawal link does not. A
member contact's sign-in link expires after ``SIGN_IN_MINUTES`` and is spent by its first use; it
carries the contact's address encrypted with a server key, never in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.utils.translation import gettext_lazy as _

from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.core.links import LinkKind, ids_value, make_link, read_link

CONFIRM_DAYS = 7
SIGN_IN_MINUTES = 60


@dataclass(frozen=True)
class SignOnRef:
    sign_on_id: int
    statement_id: int


def _value(ref: SignOnRef) -> list[int]:
    return [ref.sign_on_id, ref.statement_id]


def _ref(value: Any) -> SignOnRef:
    sign_on_id, statement_id = ids_value(2)(value)
    return SignOnRef(sign_on_id=sign_on_id, statement_id=statement_id)


def _sealed_address(email: str) -> dict[str, str]:
    return {"a": server_encrypt(email.encode("utf-8")).decode("ascii")}


def _address(value: Any) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("a"), str):
        raise ValueError("not a sign-in link")
    try:
        return server_decrypt(value["a"].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise ValueError("not a sign-in link") from None


CONFIRM_LINK = LinkKind(
    salt="undersigned.organisations.confirm",
    max_age=timedelta(days=CONFIRM_DAYS),
    to_value=_value,
    from_value=_ref,
    hint=_("Confirmation links work for seven days. Sign on again to receive a new one."),
    broken_hint=_("Or sign on again with the same contact address: we will send the link once more."),
)
WITHDRAW_LINK = LinkKind(
    salt="undersigned.organisations.withdraw",
    max_age=None,
    to_value=_value,
    from_value=_ref,
    broken_hint=_("The contact can also withdraw the sign-on from the page of their data: ask for its link here."),
    renew_url_name="privacy:request",
)
SIGN_IN_LINK = LinkKind(
    salt="undersigned.organisations.member-sign-in",
    max_age=timedelta(minutes=SIGN_IN_MINUTES),
    to_value=_sealed_address,
    from_value=_address,
    renew_url_name="organisations:member_sign_in",
    broken_hint=_("Sign-in links work once, for a short time: ask for a new one here."),
    single_use=True,
    compress=True,
)


def confirm_token(ref: SignOnRef) -> str:
    return make_link(CONFIRM_LINK, ref)


def withdraw_token(ref: SignOnRef) -> str:
    return make_link(WITHDRAW_LINK, ref)


def sign_in_token(email: str) -> str:
    return make_link(SIGN_IN_LINK, email)


def read_sign_in_token(token: str) -> str:
    """The address a sign-in link was sent to; raises a ``LinkError`` if forged, altered or expired."""
    return read_link(SIGN_IN_LINK, token)
