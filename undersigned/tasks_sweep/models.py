"""The sweep's schedule: one row that says when the next sweep is due.

The row keeps the sweep's chain single (see ``tasks_sweep.tasks``): a run sweeps only if it moves
``next_run_at`` forward by a conditional UPDATE, which one caller alone can win.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SweepSchedule(models.Model):
    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK)
    next_run_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sweep_schedule_is_single")]

    def __str__(self) -> str:
        return f"task sweep next due {self.next_run_at:%Y-%m-%d %H:%M:%S} UTC"
