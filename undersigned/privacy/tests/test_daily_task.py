"""The daily purge runs as exactly one chain of tasks, however many processes try to start one."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from undersigned.privacy.models import PurgeSchedule
from undersigned.privacy.services import (
    PURGE_HOUR_UTC,
    next_purge_time,
    purge_schedule_claim,
    purge_schedule_ensure,
)
from undersigned.privacy.tasks import purge_daily
from undersigned.signatures.models import Signature
from undersigned.signatures.tests.conftest import sign
from undersigned.statements.services import statement_close

pytestmark = pytest.mark.django_db(transaction=True)  # the worker runs what committed

TASK = "undersigned.privacy.tasks.purge_daily"


@pytest.fixture(autouse=True)
def _worker_hook_quiet(monkeypatch):
    """The worker's own check (``privacy.apps``) would start purges of its own in these tests;
    it has just checked, as far as it knows. ``test_a_worker_notices_a_missed_day`` turns it on."""
    from undersigned.privacy import apps

    monkeypatch.setattr(apps.CHAIN, "last_ensured", time.monotonic())


def purge_results() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at"))


def queued() -> list[DBTaskResult]:
    return [result for result in purge_results() if result.status == "READY"]


def overdue_schedule(hours: int = 2) -> PurgeSchedule:
    schedule, _created = PurgeSchedule.objects.update_or_create(
        pk=PurgeSchedule.SINGLETON_PK, defaults={"next_run_at": timezone.now() - timedelta(hours=hours)}
    )
    return schedule


def test_the_purge_hour_is_the_next_one():
    assert next_purge_time(datetime(2026, 3, 1, 2, 59, tzinfo=UTC)) == datetime(2026, 3, 1, PURGE_HOUR_UTC, tzinfo=UTC)
    assert next_purge_time(datetime(2026, 3, 1, 3, 0, tzinfo=UTC)) == datetime(2026, 3, 2, PURGE_HOUR_UTC, tzinfo=UTC)
    assert next_purge_time(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == datetime(2027, 1, 1, 3, tzinfo=UTC)


def test_ensuring_creates_the_schedule_without_a_task():
    PurgeSchedule.objects.all().delete()
    assert purge_schedule_ensure() is False
    schedule = PurgeSchedule.objects.get()
    assert schedule.next_run_at == next_purge_time(schedule.next_run_at - timedelta(days=1))
    assert schedule.next_run_at > timezone.now()
    assert queued() == []
    assert purge_schedule_ensure() is False  # on time: nothing to do
    assert queued() == []


def test_a_missed_day_is_caught_up(run_tasks):
    overdue_schedule()
    assert purge_schedule_ensure() is True
    assert len(queued()) == 1
    run_tasks()
    (first, successor) = purge_results()
    assert first.status == "SUCCESSFUL" and first.return_value.startswith("purged 0 statement(s)")
    assert successor.status == "READY"
    assert successor.run_after == PurgeSchedule.objects.get().next_run_at
    assert successor.run_after.astimezone(UTC).hour == PURGE_HOUR_UTC


def test_a_worker_notices_a_missed_day(run_tasks, monkeypatch):
    from undersigned.notifications.tasks import deliver_mail
    from undersigned.privacy import apps

    overdue_schedule()
    monkeypatch.setattr(apps.CHAIN, "last_ensured", float("-inf"))
    deliver_mail.enqueue("no-such-mail")  # any task the worker runs
    run_tasks()
    assert [result.status for result in purge_results()] == ["SUCCESSFUL", "READY"]
    # It looks again only after a while, not before every task.
    overdue_schedule()
    deliver_mail.enqueue("no-such-mail")
    run_tasks()
    assert [result.status for result in purge_results()] == ["SUCCESSFUL", "READY"]


def test_many_starters_make_one_chain(run_tasks):
    """Five processes start a purge at once (three notice the missed time, two are old chains'
    tasks): one does the work and renews the chain; the others stop and renew nothing."""
    overdue_schedule()
    for _process in range(3):
        purge_schedule_ensure()
    purge_daily.enqueue()
    purge_daily.enqueue()

    run_tasks()

    finished = [result for result in purge_results() if result.status == "SUCCESSFUL"]
    assert len(finished) == 5
    assert [result.return_value.startswith("purged") for result in finished].count(True) == 1
    assert all(
        result.return_value == "not due: another run has claimed it"
        for result in finished
        if not result.return_value.startswith("purged")
    )
    (successor,) = queued()
    schedule = PurgeSchedule.objects.get()
    assert successor.run_after == schedule.next_run_at > timezone.now()

    # The next day the successor runs, and leaves exactly one successor of its own.
    with time_machine.travel(schedule.next_run_at + timedelta(minutes=1), tick=False):
        purge_daily.enqueue()  # and one more stray starter
        run_tasks()
        (following,) = queued()
        assert (
            following.run_after == PurgeSchedule.objects.get().next_run_at == schedule.next_run_at + timedelta(days=1)
        )


def test_the_chain_purges_what_is_due(open_statement, run_tasks):
    sign(open_statement, email="ada@example.org", confirm=True)
    statement_close(actor=None, statement=open_statement.statement)
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        overdue_schedule(hours=1)
        purge_daily.enqueue()
        run_tasks()
    assert Signature.objects.get().email_hash.startswith("erased:")
    assert len(queued()) == 1


def test_a_failing_purge_keeps_the_chain(run_tasks, monkeypatch):
    from undersigned.privacy import tasks

    def broken(**kwargs):
        raise RuntimeError("the purge broke")

    monkeypatch.setattr(tasks, "purge_expired", broken)
    overdue_schedule()
    purge_daily.enqueue()
    run_tasks()
    assert [result.status for result in purge_results()] == ["FAILED", "READY"]


def test_concurrent_claims_have_one_winner():
    if connection.vendor != "postgresql":
        pytest.skip("a concurrency test needs PostgreSQL: SQLite takes one writer at a time, so it proves nothing")
    overdue_schedule()
    now = timezone.now()
    threads = 8
    barrier = threading.Barrier(threads, timeout=30)

    def claim(_index: int) -> datetime | None:
        try:
            barrier.wait()
            return purge_schedule_claim(now=now)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(claim, range(threads)))
    assert [outcome is not None for outcome in outcomes].count(True) == 1
