"""The sweep runs every ``SWEEP_EVERY`` as one self-renewing chain of tasks, as the daily purge
does (``privacy.tasks``):

- The ``SweepSchedule`` row holds the time the next sweep is due.
- ``sweep_tasks`` first claims the due sweep: one conditional UPDATE moves ``next_run_at`` on only
  if it is due now, so of any number of runs one wins. The winner enqueues its successor in the
  same transaction (tasks are rows in this database: the claim and the successor commit together),
  then sweeps. A run that loses the claim does nothing and enqueues nothing: duplicates die out at
  once and the chain never forks.
- ``sweep_schedule_ensure`` creates the schedule after ``migrate`` and, at most every ten minutes per
  process, when a worker starts a task (``tasks_sweep.apps``), enqueues a sweep if the chain has
  missed its time: a lost chain starts again by itself.

Each sweep also queues a delivery for every queued mail that lost its task
(``notifications.services.mail_requeue_orphans``).

A second run of a sweep is harmless: it finds the schedule claimed, or, if it is the one that
claimed it, puts back only tasks still abandoned at that moment.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from undersigned.notifications.services import mail_requeue_orphans
from undersigned.tasks_sweep.services import sweep_run_forget, sweep_schedule_claim, tasks_requeue_abandoned


@task(takes_context=True)
def sweep_tasks(context: TaskContext, previous: str = "") -> str:
    """``previous`` is the id of the run before, whose result this run deletes."""
    now = timezone.now()
    with transaction.atomic():
        following = sweep_schedule_claim(now=now)
        if following is None:
            return "not due: another run has claimed it"
        sweep_tasks.using(run_after=following).enqueue(previous=str(context.task_result.id))
    if previous:
        sweep_run_forget(task_id=previous)
    outcome = tasks_requeue_abandoned(now=now)
    # After the tasks it put back, which are live again: their messages are not queued twice.
    mails = mail_requeue_orphans(now=now)
    return (
        f"queued {outcome.requeued} task(s) again, gave up {outcome.given_up}, queued {mails} message(s) "
        f"whose task was lost; next sweep at {following.isoformat()}"
    )
