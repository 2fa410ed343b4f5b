"""Signed links in signers' emails. They name a signature and its statement; nothing else.

A confirmation link expires after ``CONFIRM_DAYS``; a withdrawal link does not, so a signer can
change their mind for as long as the signature exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from undersigned.core.links import LinkKind, ids_value, make_link

CONFIRM_DAYS = 7


@dataclass(frozen=True)
class SignatureRef:
    signature_id: int
    statement_id: int


def _value(ref: SignatureRef) -> list[int]:
    return [ref.signature_id, ref.statement_id]


def _ref(value: Any) -> SignatureRef:
    signature_id, statement_id = ids_value(2)(value)
    return SignatureRef(signature_id=signature_id, statement_id=statement_id)


CONFIRM_LINK = LinkKind(
    salt="undersigned.signatures.confirm",
    max_age=timedelta(days=CONFIRM_DAYS),
    to_value=_value,
    from_value=_ref,
    hint=_("Confirmation links work for seven days. Sign the statement again and we will send you a new one."),
    broken_hint=_("Or sign the statement again with the same address: we will send you the link once more."),
)
WITHDRAW_LINK = LinkKind(
    salt="undersigned.signatures.withdraw",
    max_age=None,
    to_value=_value,
    from_value=_ref,
    broken_hint=_("You can also withdraw your signature from the page of your data: ask for its link here."),
    renew_url_name="privacy:request",
)


def confirm_token(ref: SignatureRef) -> str:
    return make_link(CONFIRM_LINK, ref)


def withdraw_token(ref: SignatureRef) -> str:
    return make_link(WITHDRAW_LINK, ref)
