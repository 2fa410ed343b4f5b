"""The metrics /metrics reads from the database at each scrape (``monitoring.selectors``), as a
prometheus_client collector. Should the database not answer, the scrape still succeeds, with
``undersigned_database_up`` at 0 and the per-process metrics, so an alert can tell the two apart."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from undersigned.monitoring import selectors

logger = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        try:
            families = list(self._read())
        except DatabaseError:
            logger.exception("the database did not answer the metrics' reads")
            families, up = [], 0
        else:
            up = 1
        yield from families
        yield GaugeMetricFamily("undersigned_database_up", "Whether the database answered this scrape's reads.", up)
        yield GaugeMetricFamily(
            "undersigned_metrics_database_seconds",
            "How long this scrape's database reads took.",
            time.perf_counter() - started,
        )

    def _read(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()

        confirmed = GaugeMetricFamily(
            "undersigned_signatures_confirmed",
            "Confirmed signatures counted for each statement (its public tally; withdrawn, held and "
            "invalidated ones are not counted).",
            labels=["statement"],
        )
        for slug, total in sorted(selectors.confirmed_by_statement().items()):
            confirmed.add_metric([slug], total)
        yield confirmed

        mail = selectors.mail_queue()
        yield GaugeMetricFamily("undersigned_mail_queue_messages", "Messages waiting to be delivered.", mail.queued)
        yield GaugeMetricFamily(
            "undersigned_mail_queue_tried_messages",
            "Queued messages already tried at least once: waiting for a retry after a failure, or being sent.",
            mail.tried,
        )
        yield GaugeMetricFamily(
            "undersigned_mail_queue_oldest_seconds",
            "Age of the oldest message waiting to be delivered; 0 when none waits.",
            _age(now, mail.oldest_created_at),
        )

        tasks = GaugeMetricFamily(
            "undersigned_tasks",
            "Background tasks by state (ready: waiting for a worker; running; failed: kept, with their error) "
            "and task. Successful tasks are not counted.",
            labels=["state", "task"],
        )
        retried = GaugeMetricFamily(
            "undersigned_tasks_retried",
            "Of those, tasks run again after their worker died: waiting to run again, running again, "
            "or failed on a later run.",
            labels=["state", "task"],
        )
        for count in selectors.task_counts():
            tasks.add_metric([count.state, count.task], count.tasks)
            retried.add_metric([count.state, count.task], count.retried)
        yield tasks
        yield retried
        yield GaugeMetricFamily(
            "undersigned_tasks_oldest_due_seconds",
            "How long the task due longest ago has waited for a worker; 0 when none waits.",
            _age(now, selectors.oldest_due_task()),
        )

        ledger = selectors.ledger_backlog()
        yield GaugeMetricFamily(
            "undersigned_ledger_pending_events",
            "Count changes waiting to be sealed into their statement's ledger "
            f"(counted up to {selectors.PENDING_EVENTS_COUNTED_UP_TO}).",
            ledger.pending,
        )
        yield GaugeMetricFamily(
            "undersigned_ledger_sealing_lag_seconds",
            "Age of the oldest count change not yet sealed into its statement's ledger; 0 when none waits.",
            _age(now, ledger.oldest_at),
        )

        log = selectors.site_log_state()
        yield GaugeMetricFamily("undersigned_log_entries", "Entries in the site's transparency log.", log.size)
        yield GaugeMetricFamily(
            "undersigned_log_checkpoint_entries", "Entries the newest signed checkpoint covers.", log.checkpoint_size
        )
        yield GaugeMetricFamily(
            "undersigned_log_checkpoint_age_seconds",
            "Age of the newest signed checkpoint; 0 when there is none.",
            _age(now, log.checkpoint_signed_at),
        )
        refusing = GaugeMetricFamily(
            "undersigned_log_witness_refusing",
            "1 while a witness refuses the log's checkpoints (a proof it rejects, another history, a bad "
            "cosignature); it stays until the witness cosigns again.",
            labels=["witness"],
        )
        behind = GaugeMetricFamily(
            "undersigned_log_witness_behind_entries",
            "Entries of the newest checkpoint the witness has not cosigned yet.",
            labels=["witness"],
        )
        for witness in log.witnesses:
            refusing.add_metric([witness.name], 1 if witness.problem else 0)
            behind.add_metric([witness.name], max(0, log.checkpoint_size - witness.known_size))
        yield refusing
        yield behind


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    return max(0.0, (now - then).total_seconds())
