"""Personal links sent by email, read in one way.

Each kind of link (a signer's confirmation, a contact's withdrawal, a member's sign-in, a
person's data) is a ``LinkKind``: what it carries, signed with the site's key and a salt of its
own, how long it works and whether it works once. ``read_link`` turns a token back into what it
names or raises ``LinkExpiredError`` (410) or ``LinkInvalidError`` (forged or altered, 404);
``spend_link`` also raises ``LinkUsedError`` (410) for a single-use link used before. Every page
answers these ``LinkError``s alike (``core.link_pages``).

Links carry ids or keyed hashes, or an address encrypted with a server key; never personal data
in the clear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.core import signing
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from undersigned.core.exceptions import DomainError
from undersigned.core.single_use import first_use

Ref = TypeVar("Ref")


@dataclass(frozen=True)
class LinkKind(Generic[Ref]):
    """``to_value`` makes what is signed; ``from_value`` reads it back and raises ``ValueError``
    (or ``TypeError``/``KeyError``) for anything not of its shape."""

    salt: str
    max_age: timedelta | None
    to_value: Callable[[Ref], Any]
    from_value: Callable[[Any], Ref]
    # What the person can do once the link has expired or was used, and where to ask for a new one.
    hint: str | Promise = ""
    renew_url_name: str = ""
    # What to do when the link does not open at all (cut or changed on its way): where else the
    # person finds it, or how to have it sent again.
    broken_hint: str | Promise = ""
    single_use: bool = False
    compress: bool = False


class LinkError(DomainError):
    def __init__(self, code: str, message: str | Promise, *, status: int, kind: LinkKind[Any]) -> None:
        super().__init__(code, str(message), status=status)
        self.kind = kind


class LinkExpiredError(LinkError):
    def __init__(self, kind: LinkKind[Any]) -> None:
        super().__init__("link_expired", _("This link has expired"), status=410, kind=kind)


class LinkInvalidError(LinkError):
    def __init__(self, kind: LinkKind[Any]) -> None:
        super().__init__("link_invalid", _("This link does not work"), status=404, kind=kind)


class LinkUsedError(LinkError):
    def __init__(self, kind: LinkKind[Any]) -> None:
        super().__init__("link_used", _("This link was already used"), status=410, kind=kind)


def make_link(kind: LinkKind[Ref], ref: Ref) -> str:
    return signing.TimestampSigner(salt=kind.salt).sign_object(kind.to_value(ref), compress=kind.compress)


def read_link(kind: LinkKind[Ref], token: str) -> Ref:
    """What the link names; raises ``LinkExpiredError`` or ``LinkInvalidError``. It does not tell
    whether a single-use link was used: ``spend_link`` does, when the link is acted on."""
    try:
        value = signing.TimestampSigner(salt=kind.salt).unsign_object(token, max_age=kind.max_age)
    except signing.SignatureExpired:
        raise LinkExpiredError(kind) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise LinkInvalidError(kind) from None
    try:
        return kind.from_value(value)
    except (ValueError, TypeError, KeyError):
        raise LinkInvalidError(kind) from None


def spend_link(kind: LinkKind[Ref], token: str) -> Ref:
    """Reads a single-use link and marks it used, in the database; raises ``LinkUsedError`` if it
    was used before, by this process or any other, whatever the state of the cache."""
    if not kind.single_use or kind.max_age is None:
        raise ValueError("only a single-use link with an expiry can be spent")
    ref = read_link(kind, token)
    key = f"link:{kind.salt}:{hashlib.sha256(token.encode()).hexdigest()}"
    # The mark outlives the link, so a used link is refused as used until it would have expired.
    if not first_use(key[:200], ttl_seconds=int(kind.max_age.total_seconds()) + 60):
        raise LinkUsedError(kind)
    return ref


def ids_value(count: int) -> Callable[[Any], list[int]]:
    """``from_value`` for a link that carries ``count`` integer ids."""

    def from_value(value: Any) -> list[int]:
        if not (isinstance(value, list) and len(value) == count and all(type(item) is int for item in value)):
            raise ValueError("not a link of this kind")
        return value

    return from_value
