"""Background chains that start themselves: a task that enqueues its own successor (the daily
purge, the task sweep) is started after ``migrate`` and checked again, now and then, whenever a
worker starts any task, so a chain lost with a dead worker or a wiped queue comes back alone.

``ensure`` is the chain's own idempotent "start it unless it runs" service (one schedule row
claimed by a conditional UPDATE, so many starters make one chain). A failure to check never
fails the worker's task: the next check tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.db import DatabaseError, connections
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)
# How often a worker process checks that a chain is still running.
ENSURE_EVERY_SECONDS = 600.0


class SelfStartingChain:
    def __init__(self, *, name: str, table: Callable[[], str], ensure: Callable[[], object]) -> None:
        """``table`` names the schedule's table (read late: models load after apps); ``ensure``
        starts the chain unless it runs."""
        self.name, self._table, self._ensure = name, table, ensure
        self.last_ensured = float("-inf")  # when this process last checked; no data

    def connect(self, app: AppConfig) -> None:
        from django_tasks.signals import task_started

        post_migrate.connect(self._after_migrate, sender=app, weak=False)
        task_started.connect(self._when_a_worker_runs_a_task, dispatch_uid=f"{self.name}.ensure", weak=False)

    def forget_last_check(self) -> None:
        self.last_ensured = float("-inf")

    def _after_migrate(self, *, using: str = "default", **kwargs: Any) -> None:
        if self._table() not in connections[using].introspection.table_names():
            return  # migrated backwards, or only part of the way
        self._ensure()

    def _when_a_worker_runs_a_task(self, **kwargs: Any) -> None:
        if time.monotonic() - self.last_ensured < ENSURE_EVERY_SECONDS:
            return
        self.last_ensured = time.monotonic()
        try:
            self._ensure()
        except DatabaseError:
            logger.warning("could not check the schedule of %s", self.name, exc_info=True)
