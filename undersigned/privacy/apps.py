from __future__ import annotations

from django.apps import AppConfig

from undersigned.core import process_caches
from undersigned.core.task_chains import SelfStartingChain


def _schedule_table() -> str:
    from undersigned.privacy.models import PurgeSchedule

    return PurgeSchedule._meta.db_table


def _ensure() -> None:
    from undersigned.privacy.services import purge_schedule_ensure

    purge_schedule_ensure()


CHAIN = SelfStartingChain(name="the daily purge", table=_schedule_table, ensure=_ensure)
process_caches.register(
    __name__,
    "CHAIN",
    clear=CHAIN.forget_last_check,
    never_stale="when this process last checked the daily purge's schedule, no data; checked again after a while",
)


class PrivacyConfig(AppConfig):
    name = "undersigned.privacy"
    verbose_name = "Signers' data rights and retention"

    def ready(self) -> None:
        # The daily purge's chain starts itself (see ``privacy.tasks``).
        CHAIN.connect(self)
