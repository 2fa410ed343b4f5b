"""Reading targets, deliveries and responses: the staff page's lists, and the public record that
the statement page shows (cached: the statement page is the hottest page of the site)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from undersigned.core.caching import CACHE_ERRORS, cached
from undersigned.deliveries.models import Delivery, DeliveryRecipient, Response, Target
from undersigned.ledger.selectors import DeliveryView, deliveries_of
from undersigned.statements.models import StatementText

PUBLIC_RECORD_SECONDS = 5


def active_targets(statement_id: int) -> QuerySet[Target]:
    return Target.objects.filter(statement_id=statement_id, removed_at__isnull=True)


def deliveries_for_staff(statement_id: int) -> QuerySet[Delivery]:
    """Every delivery, newest first, with its recipients and who delivered it."""
    return (
        Delivery.objects.filter(statement_id=statement_id)
        .select_related("created_by", "revision")
        .prefetch_related(Prefetch("recipients", queryset=DeliveryRecipient.objects.order_by("name", "pk")))
    )


def responses_of(statement_id: int) -> QuerySet[Response]:
    return Response.objects.filter(statement_id=statement_id).select_related("recorded_by", "update")


def text_languages(statement_id: int) -> dict[str, str]:
    """The title of each published text of the statement, by language."""
    return dict(
        StatementText.objects.filter(statement_id=statement_id, published_revision__isnull=False).values_list(
            "language", "published_revision__title"
        )
    )


@dataclass(frozen=True)
class ResponseLine:
    responded_on: date
    who: str
    text: str
    link: str
    language: str


@dataclass(frozen=True)
class PublicRecord:
    deliveries: list[DeliveryView]
    responses: list[ResponseLine]

    def __bool__(self) -> bool:
        return bool(self.deliveries or self.responses)


def _public_key(statement_id: int) -> str:
    return f"delivery-record:{statement_id}"


def public_record(statement_id: int) -> PublicRecord:
    """The deliveries as the ledger states them, oldest first, and the responses: what the statement
    page shows. At most ``PUBLIC_RECORD_SECONDS`` old; three queries when read afresh."""

    def read() -> PublicRecord:
        deliveries = deliveries_of(statement_id)
        responses = [
            ResponseLine(response.responded_on, response.who, response.text, response.link, response.language)
            for response in Response.objects.filter(statement_id=statement_id).order_by("responded_on", "pk")
        ]
        return PublicRecord(deliveries=deliveries, responses=responses)

    return cached(_public_key(statement_id), PUBLIC_RECORD_SECONDS, read)


def forget_public_record(statement_id: int) -> None:
    try:
        cache.delete(_public_key(statement_id))
    except CACHE_ERRORS:
        pass  # it runs out within PUBLIC_RECORD_SECONDS anyway
