"""Public reads of a statement's approved solidarity actions, through the selectors of its actions
page. Actions are not signatures: no count here is part of a signature count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from undersigned.actions.models import SolidarityAction
from undersigned.actions.selectors import action_counts, actions_for_list, is_planned
from undersigned.api.cursors import keyset_page
from undersigned.api.routers.statements import PageQuery
from undersigned.api.schemas import READ_ERRORS, SolidarityActionCounts, SolidarityActionPage
from undersigned.statements.selectors import statement_for_reading

router = Router(tags=["actions"])


def _kind_label(kind: str) -> str:
    return str(SolidarityAction.Kind(kind).label)


@router.get(
    "/{slug:slug}/actions",
    response={200: SolidarityActionPage, **READ_ERRORS},
    summary="Approved solidarity actions, the latest date first",
)
def statement_actions(request: HttpRequest, slug: str, query: Query[PageQuery]) -> dict[str, Any]:
    statement = statement_for_reading(slug=slug)
    page = keyset_page(
        actions_for_list(statement.pk),
        field="date",
        cursor=query.cursor,
        limit=query.limit,
        kind=f"actions.{statement.pk}",
    )
    today = timezone.localdate()
    items = [
        {
            "kind": action.kind,
            "kind_label": _kind_label(action.kind),
            "date": action.date,
            "state": "planned" if is_planned(action, today) else "held",
            "city": action.city,
            "country": str(action.country),
            "organisation": action.organisation_shown,
            "by_member": action.by_member,
            "description": action.description,
            "language": action.description_language,
            "link": action.link,
            "participants": action.participants,
        }
        for action in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get(
    "/{slug:slug}/actions/counts",
    response={200: SolidarityActionCounts, **READ_ERRORS},
    summary="How many approved actions, in how many countries, by kind",
)
def statement_action_counts(request: HttpRequest, slug: str) -> dict[str, Any]:
    counts = action_counts(statement_for_reading(slug=slug).pk)
    return {
        "total": counts.total,
        "countries": counts.countries,
        "by_kind": [{"kind": kind, "label": _kind_label(kind), "count": count} for kind, count in counts.by_kind],
    }
