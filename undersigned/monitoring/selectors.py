"""What /metrics reads from the database at each scrape, so that every app server reports the same
figures whichever of its processes answers. Each read is bounded by something small (statements,
queued mail, pending ledger events, unfinished or failed tasks), never by the number of signatures
or of tasks ever run, and uses an index where the table grows without end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Case, Count, F, Min, Q, When
from django_tasks_db.models import DBTaskResult, get_date_max

from undersigned.ledger.models import LogCheckpoint, LogState, LogWitness, PendingEvent
from undersigned.notifications.models import OutgoingMail
from undersigned.signatures.tallies import totals_by_statement
from undersigned.statements.models import Statement

# Counting pending ledger events stops here: a figure this high already says the sealing is stuck,
# and counting millions of rows at every scrape would add to the trouble.
PENDING_EVENTS_COUNTED_UP_TO = 100_000


def confirmed_by_statement() -> dict[str, int]:
    """Every statement's confirmed count by slug, from the sharded tally (not a count of signature
    rows), including the published ones still at 0. Drafts take no signatures and are left out."""
    slugs = dict(Statement.objects.exclude(status=Statement.Status.DRAFT).values_list("pk", "slug"))
    totals = totals_by_statement()
    return {slug: totals.get(pk, 0) for pk, slug in slugs.items()}


@dataclass(frozen=True)
class MailQueue:
    queued: int
    tried: int  # queued messages with an attempt made: a failed one waiting for its retry, or one under way
    oldest_created_at: datetime | None


def mail_queue() -> MailQueue:
    """The outgoing mail still to deliver (a delivered or abandoned message's row is deleted)."""
    state = OutgoingMail.objects.aggregate(
        queued=Count("pk"), tried=Count("pk", filter=Q(attempts__gt=0)), oldest=Min("created_at")
    )
    return MailQueue(queued=state["queued"], tried=state["tried"], oldest_created_at=state["oldest"])


@dataclass(frozen=True)
class TaskCount:
    state: str  # "ready", "running" or "failed"
    task: str  # the task's dotted path: one value per task function of the project
    tasks: int
    # Of those, tasks that a worker had already taken before (tasks_sweep queues again a task whose
    # worker died, and the next worker appends its id): waiting to run again, running again, or
    # failed on a later run.
    retried: int


# state: (the WHERE clause, written out for the partial indexes that cover it, and how many worker
# ids a task of that state holds once it has been taken more than once).
TASK_STATES = {
    "ready": ("status = 'READY'", 0),  # the backend's own partial index (PostgreSQL)
    "running": ("status = 'RUNNING'", 1),  # tasks_sweep's abandoned-task index
    "failed": ("status = 'FAILED'", 1),  # monitoring's failed-task index
}


def task_counts() -> list[TaskCount]:
    """Tasks waiting, running and failed, by task, from django-tasks-db's table. Successful ones
    (nearly every row) are not counted."""
    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    length = "jsonb_array_length" if connection.vendor == "postgresql" else "json_array_length"
    counts = []
    with connection.cursor() as cursor:
        for state, (where, runs_before) in TASK_STATES.items():
            cursor.execute(
                f"SELECT task_path, COUNT(*), SUM(CASE WHEN {length}(worker_ids) > %s THEN 1 ELSE 0 END)"  # noqa: S608  (constants only)
                f" FROM {table} WHERE {where} GROUP BY task_path",
                [runs_before],
            )
            counts += [
                TaskCount(state=state, task=task, tasks=int(tasks), retried=int(retried or 0))
                for task, tasks, retried in cursor.fetchall()
            ]
    return counts


def oldest_due_task() -> datetime | None:
    """Since when the task that has waited longest for a worker was due: its run-after time, or
    its enqueueing for one without (the backend writes the year 9999 then). Tasks whose time has
    not come (the daily purge, the minute's sweep, a mail's retry) are not waiting."""
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    oldest: datetime | None = DBTaskResult.objects.ready().aggregate(oldest=Min(due_since))["oldest"]
    return oldest


@dataclass(frozen=True)
class LedgerBacklog:
    pending: int  # at most PENDING_EVENTS_COUNTED_UP_TO
    oldest_at: datetime | None


def ledger_backlog() -> LedgerBacklog:
    """Count changes written but not yet chained into their statement's ledger. Events are sealed
    oldest first, so the first by primary key is the one waiting longest."""
    oldest = PendingEvent.objects.order_by("pk").values_list("at", flat=True).first()
    pending = PendingEvent.objects.order_by()[:PENDING_EVENTS_COUNTED_UP_TO].count() if oldest else 0
    return LedgerBacklog(pending=pending, oldest_at=oldest)


@dataclass(frozen=True)
class SiteLogState:
    size: int
    checkpoint_size: int
    checkpoint_signed_at: datetime | None
    witnesses: list[LogWitness]


def site_log_state() -> SiteLogState:

    size = LogState.objects.values_list("size", flat=True).first() or 0
    newest = LogCheckpoint.objects.order_by("-pk").only("size", "signed_at").first()
    return SiteLogState(
        size=size,
        checkpoint_size=newest.size if newest else 0,
        checkpoint_signed_at=newest.signed_at if newest else None,
        witnesses=list(LogWitness.objects.filter(active=True).order_by("name")),
    )
