from __future__ import annotations

from django.db.models import QuerySet

from undersigned.signatures.models import Signature


def public_signatures(*, statement_id: int) -> QuerySet[Signature]:
    """Confirmed signers who chose to show a name, newest first: their name and country, nothing else."""
    return (
        Signature.objects.filter(statement_id=statement_id, status=Signature.Status.CONFIRMED)
        .exclude(display_name="")
        .only("display_name", "country", "confirmed_at")
        .order_by("-confirmed_at", "-pk")
    )
