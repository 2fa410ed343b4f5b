"""``{{ recipient|sent_actions_note }}``: on the staff page, what a recipient's mail stated of the
solidarity actions when it differs from what its delivery recorded."""

from __future__ import annotations

from django import template

from undersigned.deliveries.models import DeliveryRecipient
from undersigned.deliveries.presentation import sent_actions_note as note

register = template.Library()


@register.filter
def sent_actions_note(recipient: DeliveryRecipient) -> str:
    return note(recipient)
