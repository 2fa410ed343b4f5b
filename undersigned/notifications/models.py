from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutgoingMail(models.Model):
    """A message waiting for the mail server. Its whole content, the address included, is encrypted
    with a server key; the row is deleted once the message is delivered or given up.

    ``attempts`` counts the attempts begun, each at its claim."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.CharField(max_length=64)
    sealed_message = models.BinaryField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Until when a worker holds the message (it is being sent, or waits for its next attempt);
    # empty or past, any worker may take it.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.template} ({self.attempts} attempts)"
