from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from undersigned.signatures.models import Signature


def public_signatures(*, statement_id: int) -> QuerySet[Signature]:
    """Confirmed signers who chose to show a name, newest first: their name and country, nothing else."""
    return (
        Signature.objects.filter(statement_id=statement_id, status=Signature.Status.CONFIRMED)
        .exclude(display_name="")
        .only("display_name", "country", "confirmed_at")
        .order_by("-confirmed_at", "-pk")
    )


MODERATED_STATUSES = (
    Signature.Status.HELD,
    Signature.Status.CONFIRMED,
    Signature.Status.INVALIDATED,
)


def moderation_queryset(
    *,
    statement_id: int,
    status: str = "",
    signal: str = "",
    network: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Signature]:
    """The statement's confirmed, held or invalidated signatures matching the moderators' filter,
    newest first. ``network`` is the start of the keyed hash of the /24 or /48 they came from."""
    signatures = Signature.objects.filter(statement_id=statement_id, status__in=MODERATED_STATUSES)
    if status:
        signatures = signatures.filter(status=status)
    if signal:
        # JSON containment is not on SQLite: the signal's quoted name in the stored list does the same.
        signatures = signatures.filter(signals__icontains=f'"{signal}"')
    if network:
        signatures = signatures.filter(network_hash__startswith=network)
    if since:
        signatures = signatures.filter(created_at__gte=since)
    if until:
        signatures = signatures.filter(created_at__lt=until)
    return signatures.only(
        "pk", "public_id", "status", "country", "signals", "score", "network_hash", "created_at", "confirmed_at"
    ).order_by("-created_at", "-pk")


def exportable_counts(*, statement_id: int) -> dict[str, int]:
    """How many confirmed and how many pending signatures a sealed export of the statement can hold."""
    counts = dict(
        Signature.objects.filter(
            statement_id=statement_id, status__in=[Signature.Status.PENDING, Signature.Status.CONFIRMED]
        )
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {"confirmed": counts.get(Signature.Status.CONFIRMED, 0), "pending": counts.get(Signature.Status.PENDING, 0)}


def status_counts(*, statement_ids: list[int]) -> dict[int, dict[str, int]]:
    """Signatures of each statement by status (every status present, 0 when none), in one query:
    the staff API's counts, which unlike the public tally include what is not counted."""
    counts = {statement_id: dict.fromkeys(Signature.Status.values, 0) for statement_id in statement_ids}
    rows = (
        Signature.objects.filter(statement_id__in=statement_ids)
        .values_list("statement_id", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for statement_id, status, count in rows:
        counts[statement_id][status] = count
    return counts
