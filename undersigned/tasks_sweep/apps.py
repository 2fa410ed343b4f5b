from __future__ import annotations

from django.apps import AppConfig

from undersigned.core import process_caches
from undersigned.core.task_chains import SelfStartingChain


def _schedule_table() -> str:
    from undersigned.tasks_sweep.models import SweepSchedule

    return SweepSchedule._meta.db_table


def _ensure() -> None:
    from undersigned.tasks_sweep.services import sweep_schedule_ensure

    sweep_schedule_ensure()


CHAIN = SelfStartingChain(name="the task sweep", table=_schedule_table, ensure=_ensure)
process_caches.register(
    __name__,
    "CHAIN",
    clear=CHAIN.forget_last_check,
    never_stale="when this process last checked the task sweep's schedule, no data; checked again after a while",
)


class TasksSweepConfig(AppConfig):
    name = "undersigned.tasks_sweep"
    verbose_name = "Re-running tasks whose worker died"

    def ready(self) -> None:
        # The sweep's chain starts itself, as the daily purge's does (see ``tasks_sweep.tasks``).
        CHAIN.connect(self)
