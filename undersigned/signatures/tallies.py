"""Counts of confirmed signatures, kept as sharded counters.

Every confirmation or withdrawal changes one of ``SHARDS`` rows for its statement and country, in
the same transaction as the signature's change of status, so the count and the rows always agree.
Writers spread over the shards instead of queueing on one hot row; readers sum a few dozen small
rows, cached for a few seconds. A change does not empty the cache (under load that would make
every reader sum the rows again); the pages a signer sees right after their own change read the
rows afresh and put that count in the cache.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum

from undersigned.core.caching import cached
from undersigned.signatures.models import Signature, TallyShard

SHARDS = 16
# With the shared cache's lifetime of the pages (core.public_pages.SHARED_CACHE_SECONDS), a count
# shown is at most 5 s old, as the statement page says.
CACHE_SECONDS = 2


@dataclass(frozen=True)
class Tally:
    total: int
    by_country: dict[str, int]


def _cache_key(statement_id: int) -> str:
    return f"tally:{statement_id}"


def tally_change(*, statement_id: int, country: str, delta: int) -> None:
    """Adds ``delta`` to one shard. Caller holds the transaction that changes the signature."""
    shard = random.randrange(SHARDS)  # noqa: S311  (spreading load, not a secret)
    rows = TallyShard.objects.filter(statement_id=statement_id, country=country, shard=shard)
    if not rows.update(confirmed=F("confirmed") + delta):
        try:
            with transaction.atomic():
                TallyShard.objects.create(statement_id=statement_id, country=country, shard=shard, confirmed=delta)
        except IntegrityError:  # a concurrent first confirmation created the shard
            rows.update(confirmed=F("confirmed") + delta)


def tally_for_statement(statement_id: int, *, fresh: bool = False) -> Tally:
    """The confirmed count, from the counters (never a count of signature rows).

    At most ``CACHE_SECONDS`` old, or read now with ``fresh`` (and cached for the next readers).
    """

    def read() -> Tally:
        rows = (
            TallyShard.objects.filter(statement_id=statement_id)
            .values("country")
            .annotate(confirmed=Sum("confirmed"))
            .order_by()
        )
        by_country = {row["country"]: int(row["confirmed"]) for row in rows if row["confirmed"]}
        return Tally(total=sum(by_country.values()), by_country=by_country)

    return cached(_cache_key(statement_id), CACHE_SECONDS, read, fresh=fresh)


def totals_by_statement() -> dict[int, int]:
    """Every statement's confirmed count, from the counters, in one query: a few dozen small rows
    per statement and country, whatever the number of signatures (for /metrics)."""
    rows = TallyShard.objects.values("statement_id").annotate(confirmed=Sum("confirmed")).order_by()
    return {row["statement_id"]: int(row["confirmed"]) for row in rows}


@dataclass(frozen=True)
class TallyDifference:
    statement_id: int
    country: str
    counted: int
    rows: int


def tally_differences() -> list[TallyDifference]:
    """Every (statement, country) whose counters disagree with its confirmed signature rows."""
    counters = {
        (row["statement_id"], row["country"]): int(row["confirmed"])
        for row in TallyShard.objects.values("statement_id", "country").annotate(confirmed=Sum("confirmed")).order_by()
    }
    actual = {
        (row["statement_id"], row["country"]): int(row["rows"])
        for row in Signature.objects.filter(status=Signature.Status.CONFIRMED)
        .values("statement_id", "country")
        .annotate(rows=Count("pk"))
        .order_by()
    }
    differences = []
    for key in sorted(set(counters) | set(actual)):
        counted, rows = counters.get(key, 0), actual.get(key, 0)
        if counted != rows:
            differences.append(TallyDifference(statement_id=key[0], country=key[1], counted=counted, rows=rows))
    return differences


def top_countries(tally: Tally, limit: int = 10) -> list[tuple[str, str, int]]:
    """(code, localised name, count) of the countries with the most signatures."""
    from django_countries import countries

    ranked = sorted(tally.by_country.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [(code, str(countries.name(code)) or code, count) for code, count in ranked]
