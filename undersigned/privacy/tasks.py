"""The daily purge of personal data past its retention deadline, as one self-renewing chain.

How exactly one chain runs, however many processes try to start one:

- The ``PurgeSchedule`` row holds the time the next purge is due (``PURGE_HOUR_UTC``, daily).
- ``purge_daily`` first *claims* the due purge: one conditional UPDATE moves ``next_run_at`` to the
  following day only if it is due now. Of any number of runs, one wins; it enqueues its successor
  for the new due time (after its claim commits) and then purges. A run that loses the claim does
  nothing and enqueues nothing, so duplicates die out at once and the chain never forks.
- The successor is enqueued before the purge starts, so a purge that fails does not end the chain;
  what it left is done the next day (the purge only touches what is not anonymised yet).
- Nothing has to start the chain by hand. ``purge_schedule_ensure`` creates the schedule and, if
  the due time has passed by more than ``OVERDUE_AFTER`` (a lost task, a worker that was down),
  enqueues a run. It is called after ``migrate`` and, at most every few minutes per process, when
  a worker starts any task (``privacy.apps``); a fresh site's first purge is then enqueued by the
  first task a worker runs after the first due time, and the chain renews itself from there.
- ``manage.py purge_expired`` does the same purge by hand, or from cron as a safety net.
- A second run (the task sweep runs again a purge whose worker died) finds the day claimed and
  does nothing; what the dead run left is purged the next day, as after a failure.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from undersigned.privacy.services import purge_expired, purge_schedule_claim


def _enqueue_successor(run_after: datetime) -> None:
    purge_daily.using(run_after=run_after).enqueue()


@task()
def purge_daily() -> str:
    now = timezone.now()
    with transaction.atomic():
        following = purge_schedule_claim(now=now)
        if following is None:
            return "not due: another run has claimed it"
        transaction.on_commit(lambda: _enqueue_successor(following), robust=True)
    outcomes = purge_expired(now=now)
    return f"purged {len(outcomes)} statement(s); next run at {following.isoformat()}"
