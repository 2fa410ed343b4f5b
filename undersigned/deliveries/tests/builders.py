"""Deliveries built for the tests of other apps (the permission matrix) without sending mail."""

from __future__ import annotations

from django.utils import timezone

from undersigned.deliveries.models import Delivery, DeliveryRecipient, Target
from undersigned.statements.models import Statement


def sent_recipient(statement: Statement, target: Target) -> DeliveryRecipient:
    """A past delivery to ``target`` whose mail went out."""
    original = statement.texts.get(language=statement.original_language)
    assert original.published_revision is not None
    delivery = Delivery.objects.create(
        statement=statement,
        number=1,
        revision=original.published_revision,
        language=statement.original_language,
        covering_text="Please find the statement attached.",
        signatures=0,
        organisations=0,
        head_seq=0,
        head_hash="0" * 64,
    )
    return DeliveryRecipient.objects.create(
        delivery=delivery,
        target=target,
        name=target.name,
        role=target.role,
        language=target.language,
        text_language=target.language,
        status=DeliveryRecipient.Status.SENT,
        attempts=1,
        sent_at=timezone.now(),
    )
