"""The daily purge's schedule: one row that says when the purge is next due.

The row is what makes the daily chain single (see ``privacy.tasks``): a run does the day's work
only if it moves ``next_run_at`` forward by a conditional UPDATE, which one caller alone can win.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class PurgeSchedule(models.Model):
    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="purge_schedule_is_single")]

    def __str__(self) -> str:
        return f"purge next due {self.next_run_at:%Y-%m-%d %H:%M} UTC"
