"""Tasks whose worker died run again.

The database backend marks a task RUNNING when a worker takes it, and nothing else ever looks at
it again: should the worker process die (killed, out of memory, the machine gone), the task would
stay RUNNING for ever. ``tasks_requeue_abandoned`` puts such tasks back in the queue.

Dead or slow: a task RUNNING for longer than its maximum run time (``max_run_time``: the mail
lease and a minute for the tasks that send mail, ``MAX_RUN_TIMES``, else
``DEFAULT_MAX_RUN_TIME``) is taken to have lost its worker. The worker's own liveness would be a
sharper signal, but ``db_worker`` writes none, and a heartbeat would need a thread of our own in a
process we do not own, a write every few seconds per worker, and would still call a worker hung
on a socket alive for ever. A time limit needs nothing in the worker, and catches the hung worker
too. Its cost: a dead worker's task waits its limit before it runs again, and a task that runs
past its limit may run twice at once, so every task of the project must be safe to run twice
(each one's docstring says why it is).

A task the worker was stopped in the middle of (a second SIGTERM or Ctrl+C: ``db_worker`` records it
FAILED with ``SystemExit``) also lost its worker, and goes back in the queue at the same time.

A task is put back by setting its row READY again, in one conditional UPDATE that changes nothing
if its worker has finished meanwhile. It keeps its id, arguments, queue and priority, and the
next worker appends its id to ``worker_ids``: a task that has been taken ``MAX_RUNS`` times and
whose worker died each time (it may be what kills it) is recorded as FAILED instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from undersigned.notifications.services import mail_lease
from undersigned.tasks_sweep.models import SweepSchedule

logger = logging.getLogger(__name__)

# A task left RUNNING longer than this lost its worker. Long enough for any task not listed below.
DEFAULT_MAX_RUN_TIME = timedelta(minutes=15)
# Tasks that send under the mail lease (``notifications.services.mail_lease``, MAIL_LEASE_SECONDS,
# ten minutes at most): each runs again ``LEASE_MARGIN`` past it, when its message is free to be
# claimed again; a run while the lease holds would find the message "held" and end.
LEASED_TASKS = ("undersigned.notifications.tasks.deliver_mail", "undersigned.deliveries.tasks.send_delivery")
LEASE_MARGIN = timedelta(minutes=1)
MAX_RUN_TIMES: dict[str, timedelta] = {
    # A retention purge anonymises a whole statement's signers, in batches.
    "undersigned.privacy.tasks.purge_daily": timedelta(hours=1),
}
MAX_RUNS = 5
# How ``db_worker`` records a task it was stopped in the middle of.
INTERRUPTED = ("builtins.SystemExit", "builtins.KeyboardInterrupt")
ABANDONED = Q(status=TaskResultStatus.RUNNING) | Q(status=TaskResultStatus.FAILED, exception_class_path__in=INTERRUPTED)
# The same, as the WHERE clause of the partial index that holds only these rows (migration 0001):
# SQLite uses a partial index only for a query that repeats its WHERE term with the values written
# in, not bound as parameters, so the sweep's read is this text. Constants only, no input.
ABANDONED_SQL = (
    "(status = 'RUNNING'"
    " OR (exception_class_path IN ('builtins.SystemExit', 'builtins.KeyboardInterrupt') AND status = 'FAILED'))"
)

SWEEP_EVERY = timedelta(minutes=1)
# A sweep this late is taken to be lost (its task deleted, or never enqueued on a new site).
OVERDUE_AFTER = timedelta(minutes=5)


class WorkerDiedError(Exception):
    """Recorded for a task given up after its worker died ``MAX_RUNS`` times."""


def max_run_time(task_path: str) -> timedelta:
    if task_path in LEASED_TASKS:
        return mail_lease() + LEASE_MARGIN
    return MAX_RUN_TIMES.get(task_path, DEFAULT_MAX_RUN_TIME)


@dataclass(frozen=True)
class SweepOutcome:
    requeued: int
    given_up: int


def tasks_requeue_abandoned(*, now: datetime | None = None) -> SweepOutcome:
    """Puts back in the queue every task whose worker died (see the module's docstring).

    Safe under concurrent sweeps and against the task's own worker: each row changes in one
    conditional UPDATE on the state this sweep read, which a worker's claim, success or failure,
    or another sweep, makes match nothing.
    """
    now = now or timezone.now()
    shortest = min(DEFAULT_MAX_RUN_TIME, *MAX_RUN_TIMES.values(), *map(max_run_time, LEASED_TASKS))
    candidates = DBTaskResult.objects.raw(
        f"SELECT id, task_path, started_at, worker_ids FROM {DBTaskResult._meta.db_table}"  # noqa: S608
        f" WHERE {ABANDONED_SQL} AND started_at < %s",
        [now - shortest],
    )
    requeued = given_up = 0
    for candidate in candidates:
        pk, task_path, started_at, worker_ids = (
            candidate.pk,
            candidate.task_path,
            candidate.started_at,
            candidate.worker_ids,
        )
        if started_at is None or started_at > now - max_run_time(task_path):
            continue  # still within its own limit: slow, not dead
        unchanged = DBTaskResult.objects.filter(ABANDONED, pk=pk, started_at=started_at)
        if len(worker_ids) >= MAX_RUNS:
            given_up += unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{__name__}.{WorkerDiedError.__qualname__}",
                traceback=f"its worker died (or was stopped) each of the {len(worker_ids)} times it ran\n",
            )
            logger.error("gave up task %s (%s): its worker died each of %s times", pk, task_path, len(worker_ids))
            continue
        if unchanged.update(status=TaskResultStatus.READY, finished_at=None, exception_class_path="", traceback=""):
            requeued += 1
            logger.warning("task %s (%s) lost its worker; queued to run again", pk, task_path)
    return SweepOutcome(requeued=requeued, given_up=given_up)


# --- The sweep's chain (see ``tasks_sweep.tasks``) ------------------------------------------------


def sweep_schedule_claim(*, now: datetime) -> datetime | None:
    """Takes the sweep that is due by moving the schedule on by ``SWEEP_EVERY``, in one conditional
    UPDATE: of any number of concurrent callers, one gets the next due time and the rest None."""
    following = now + SWEEP_EVERY
    won = SweepSchedule.objects.filter(pk=SweepSchedule.SINGLETON_PK, next_run_at__lte=now).update(
        next_run_at=following
    )
    return following if won else None


def sweep_schedule_ensure(*, now: datetime | None = None) -> bool:
    """Creates the schedule if there is none, and enqueues a sweep if the chain has missed its
    time by ``OVERDUE_AFTER``. True if it enqueued one.

    Safe to call from anywhere, at any time, from any number of processes: an extra sweep finds
    the schedule already claimed and stops without enqueueing a successor, so the chain stays single.
    """
    now = now or timezone.now()
    from undersigned.tasks_sweep.tasks import sweep_tasks

    with transaction.atomic():
        # A new schedule is made overdue: no sweep is queued by ``migrate`` itself (a database
        # with nothing to run keeps an empty queue), and the first task any worker starts
        # starts the chain, rather than one that happens to start minutes later.
        schedule, created = SweepSchedule.objects.get_or_create(
            pk=SweepSchedule.SINGLETON_PK, defaults={"next_run_at": now - OVERDUE_AFTER - SWEEP_EVERY}
        )
        if created or schedule.next_run_at > now - OVERDUE_AFTER:
            return False
        sweep_tasks.enqueue()  # commits with the check: tasks are rows in this database
    return True


def sweep_run_forget(*, task_id: str) -> None:
    """Deletes the result of a sweep that succeeded: a run a minute would otherwise leave 1,440
    rows a day in the task table. Failed ones stay, to be read."""
    DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.SUCCESSFUL).delete()
