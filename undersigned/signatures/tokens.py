"""Signed links in signers' emails. They name a signature and its statement; nothing else.

A confirmation link expires after ``CONFIRM_DAYS``; a withdrawal link does not, so a signer can
change their mind for as long as the signature exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from undersigned.core.links import dump_ids, load_ids

CONFIRM_DAYS = 7
_CONFIRM_SALT = "undersigned.signatures.confirm"
_WITHDRAW_SALT = "undersigned.signatures.withdraw"


@dataclass(frozen=True)
class SignatureRef:
    signature_id: int
    statement_id: int


def _dump(ref: SignatureRef, salt: str) -> str:
    return dump_ids([ref.signature_id, ref.statement_id], salt=salt)


def _load(token: str, salt: str, max_age: timedelta | None) -> SignatureRef:
    signature_id, statement_id = load_ids(token, salt=salt, count=2, max_age=max_age)
    return SignatureRef(signature_id=signature_id, statement_id=statement_id)


def confirm_token(ref: SignatureRef) -> str:
    return _dump(ref, _CONFIRM_SALT)


def read_confirm_token(token: str) -> SignatureRef:
    return _load(token, _CONFIRM_SALT, timedelta(days=CONFIRM_DAYS))


def withdraw_token(ref: SignatureRef) -> str:
    return _dump(ref, _WITHDRAW_SALT)


def read_withdraw_token(token: str) -> SignatureRef:
    return _load(token, _WITHDRAW_SALT, None)
