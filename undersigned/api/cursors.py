"""Opaque, signed cursors for keyset pagination: a client cannot forge one to read past the order
(a forged or altered cursor is refused), and a page never shifts when new rows arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from undersigned.core.exceptions import DomainError

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def keyset_page(queryset: QuerySet[M], *, field: str, cursor: str, limit: int, kind: str) -> Page[M]:
    """The next ``limit`` rows of ``queryset``, which is ordered by ``-field, -pk`` and whose
    ``field`` is never empty (a published statement's date, a confirmed signature's)."""
    salt = f"undersigned.api.cursor.{kind}"
    if cursor:
        try:
            at, pk = signing.loads(cursor, salt=salt)
            after, pk = datetime.fromisoformat(at), int(pk)
        except (signing.BadSignature, ValueError, TypeError):
            raise DomainError("invalid_cursor", _("This cursor is not valid."), status=400) from None
        queryset = queryset.filter(Q(**{f"{field}__lt": after}) | Q(**{field: after, "pk__lt": pk}))
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = signing.dumps([getattr(last, field).isoformat(), last.pk], salt=salt)
    return Page(items=items, next_cursor=next_cursor)
