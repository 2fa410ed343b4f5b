"""Opaque, signed cursors for keyset pagination: a client cannot forge one to read past the order
(a forged or altered cursor is refused), and a page never shifts when new rows arrive.

A page is found by its key alone, through an index on (``field``, pk): its cost does not grow with
the rows before it, and nothing counts the rows (no COUNT(*), no OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from undersigned.core.exceptions import DomainError

M = TypeVar("M", bound=Model)
T = TypeVar("T")

Direction = Literal["older", "newer"]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    # The cursor of the page before this one (newer rows), for lists read both ways.
    previous_cursor: str | None = None


def _salt(kind: str) -> str:
    return f"undersigned.api.cursor.{kind}"


def _key(cursor: str, kind: str) -> tuple[datetime, int]:
    try:
        at, pk = signing.loads(cursor, salt=_salt(kind))
        return datetime.fromisoformat(at), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise DomainError("invalid_cursor", _("This cursor is not valid."), status=400) from None


def _cursor(row: Model, field: str, kind: str) -> str:
    return signing.dumps([getattr(row, field).isoformat(), row.pk], salt=_salt(kind))


def keyset_page(
    queryset: QuerySet[M], *, field: str, cursor: str, limit: int, kind: str, direction: Direction = "older"
) -> Page[M]:
    """``limit`` rows of ``queryset``, which is ordered by ``-field, -pk`` and whose ``field`` is
    never empty (a published statement's date, a confirmed signature's): those after ``cursor``
    (``older``), or those just before it (``newer``), still in the queryset's order.

    ``previous_cursor`` is set when a cursor was given (there are rows before the page); reading
    ``newer`` up to the top gives the first page itself, so the pages line up again there. A cursor
    that is not one this ``kind`` signed raises ``DomainError("invalid_cursor")``."""
    if not cursor:
        return _first_page(queryset, field=field, limit=limit, kind=kind)
    at, pk = _key(cursor, kind)
    if direction == "newer":
        # The bound on ``field`` alone lets the index's range start at the cursor; the OR settles ties.
        newer = queryset.filter(**{f"{field}__gte": at}).filter(Q(**{f"{field}__gt": at}) | Q(pk__gt=pk))
        rows = list(newer.reverse()[: limit + 1])
        if len(rows) <= limit:  # the top of the list: the first page, whole
            return _first_page(queryset, field=field, limit=limit, kind=kind)
        items = rows[:limit][::-1]
        return Page(
            items=items,
            next_cursor=_cursor(items[-1], field, kind),
            previous_cursor=_cursor(items[0], field, kind),
        )
    older = queryset.filter(**{f"{field}__lte": at}).filter(Q(**{f"{field}__lt": at}) | Q(pk__lt=pk))
    rows = list(older[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    return Page(
        items=items,
        next_cursor=_cursor(items[-1], field, kind) if more else None,
        # With nothing left, "newer" starts from the cursor's own place.
        previous_cursor=_cursor(items[0], field, kind) if items else cursor,
    )


def _first_page(queryset: QuerySet[M], *, field: str, limit: int, kind: str) -> Page[M]:
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    return Page(items=items, next_cursor=_cursor(items[-1], field, kind) if more else None)
