from __future__ import annotations

import logging
import time
from typing import Any

from django.apps import AppConfig
from django.db import DatabaseError, connections
from django.db.models.signals import post_migrate

from undersigned.core import process_caches

logger = logging.getLogger(__name__)
# How often a worker process checks that the sweep's chain is still running.
ENSURE_EVERY_SECONDS = 600.0
_last_ensured = float("-inf")


def _ensure_after_migrate(*, using: str = "default", **kwargs: Any) -> None:
    from undersigned.tasks_sweep.models import SweepSchedule
    from undersigned.tasks_sweep.services import sweep_schedule_ensure

    if SweepSchedule._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards, or only part of the way
    sweep_schedule_ensure()


def _ensure_when_a_worker_runs_a_task(**kwargs: Any) -> None:
    """Never lets a failure here fail the worker's task: the next check tries again."""
    global _last_ensured
    if time.monotonic() - _last_ensured < ENSURE_EVERY_SECONDS:
        return
    _last_ensured = time.monotonic()
    from undersigned.tasks_sweep.services import sweep_schedule_ensure

    try:
        sweep_schedule_ensure()
    except DatabaseError:
        logger.warning("could not check the task sweep's schedule", exc_info=True)


def _forget_last_check() -> None:
    global _last_ensured
    _last_ensured = float("-inf")


process_caches.register(
    __name__,
    "_last_ensured",
    clear=_forget_last_check,
    never_stale="when this process last checked the sweep schedule, no data; checked again after ENSURE_EVERY_SECONDS",
)


class TasksSweepConfig(AppConfig):
    name = "undersigned.tasks_sweep"
    verbose_name = "Re-running tasks whose worker died"

    def ready(self) -> None:
        from django_tasks.signals import task_started

        # The sweep's chain starts itself, as the daily purge's does (see ``tasks_sweep.tasks``).
        post_migrate.connect(_ensure_after_migrate, sender=self)
        task_started.connect(_ensure_when_a_worker_runs_a_task, dispatch_uid="tasks_sweep.ensure_schedule")
