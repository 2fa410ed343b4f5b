"""Tasks whose worker died run again; slow ones are left alone; the sweep runs as one chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from undersigned.tasks_sweep import apps
from undersigned.tasks_sweep.models import SweepSchedule
from undersigned.tasks_sweep.services import (
    DEFAULT_MAX_RUN_TIME,
    LEASED_TASKS,
    MAX_RUN_TIMES,
    MAX_RUNS,
    SWEEP_EVERY,
    max_run_time,
    sweep_schedule_claim,
    sweep_schedule_ensure,
    tasks_requeue_abandoned,
)
from undersigned.tasks_sweep.tasks import sweep_tasks

pytestmark = pytest.mark.django_db(transaction=True)  # workers run what committed
SWEEP = "undersigned.tasks_sweep.tasks.sweep_tasks"


@pytest.fixture(autouse=True)
def _worker_hook_quiet(monkeypatch):
    """The worker's own check would start sweeps of its own in these tests."""
    monkeypatch.setattr(apps.CHAIN, "last_ensured", float("inf"))


def left_running(task_path: str, *, started_ago: timedelta, runs: int = 1, status: str = "RUNNING") -> DBTaskResult:
    """A task row as a worker that took it ``started_ago`` and then died leaves it."""
    from undersigned.ledger.tasks import seal_ledger

    result = DBTaskResult.objects.get(pk=seal_ledger.enqueue().id)
    DBTaskResult.objects.filter(pk=result.pk).update(
        task_path=task_path,
        status=status,
        started_at=timezone.now() - started_ago,
        worker_ids=[f"worker{number}" for number in range(runs)],
        exception_class_path="builtins.SystemExit" if status == "FAILED" else "",
    )
    return result


def status_of(result: DBTaskResult) -> str:
    return DBTaskResult.objects.values_list("status", flat=True).get(pk=result.pk)


def test_every_task_named_in_the_table_of_run_times_exists():
    from django.utils.module_loading import import_string
    from django_tasks.base import Task

    for path in [*MAX_RUN_TIMES, *LEASED_TASKS]:
        assert isinstance(import_string(path), Task), path


def test_a_task_running_past_its_limit_is_queued_again_and_a_slow_one_is_left_alone():
    mail = "undersigned.notifications.tasks.deliver_mail"
    purge = "undersigned.privacy.tasks.purge_daily"
    dead_mail = left_running(mail, started_ago=max_run_time(mail) + timedelta(seconds=1))
    slow_mail = left_running(mail, started_ago=max_run_time(mail) - timedelta(seconds=30))
    slow_purge = left_running(purge, started_ago=DEFAULT_MAX_RUN_TIME + timedelta(minutes=1))
    dead_other = left_running("undersigned.ledger.tasks.seal_ledger", started_ago=DEFAULT_MAX_RUN_TIME * 2)
    stopped = left_running(
        "undersigned.ledger.tasks.seal_ledger", started_ago=DEFAULT_MAX_RUN_TIME * 2, status="FAILED"
    )
    doomed = left_running("undersigned.ledger.tasks.seal_ledger", started_ago=DEFAULT_MAX_RUN_TIME * 2, runs=MAX_RUNS)

    assert tasks_requeue_abandoned().requeued == 3
    assert [status_of(result) for result in (dead_mail, dead_other, stopped)] == ["READY"] * 3
    assert [status_of(result) for result in (slow_mail, slow_purge)] == ["RUNNING"] * 2
    given_up = DBTaskResult.objects.get(pk=doomed.pk)
    assert (given_up.status, given_up.exception_class_path) == (
        "FAILED",
        "undersigned.tasks_sweep.services.WorkerDiedError",
    )
    assert tasks_requeue_abandoned().requeued == 0  # once only


def test_a_finished_task_is_not_queued_again():
    done = left_running("undersigned.ledger.tasks.seal_ledger", started_ago=DEFAULT_MAX_RUN_TIME * 2)
    DBTaskResult.objects.filter(pk=done.pk).update(status="SUCCESSFUL")
    failed = left_running("undersigned.ledger.tasks.seal_ledger", started_ago=DEFAULT_MAX_RUN_TIME * 2, status="FAILED")
    DBTaskResult.objects.filter(pk=failed.pk).update(exception_class_path="builtins.ValueError")

    assert tasks_requeue_abandoned().requeued == 0
    assert (status_of(done), status_of(failed)) == ("SUCCESSFUL", "FAILED")


def subprocess_environment(tmp_path: Path) -> dict[str, str]:
    from undersigned.testing import production_environment

    environment = production_environment(tmp_path)
    for name in ("REDIS_URL", "EMAIL_URL"):
        del environment[name]
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings_test", "LOG_LEVEL": "WARNING"}
    if connection.vendor == "postgresql":  # this test's own database, which the worker sees committed
        address = urlsplit(os.environ["DATABASE_URL"])
        environment["DATABASE_URL"] = address._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    return environment


def test_a_task_whose_worker_process_was_killed_runs_again_after_the_sweep(tmp_path):
    from undersigned.testing import ROOT

    scenario = f"import django; django.setup(); from {__name__} import kill_a_worker_mid_task as run; run()"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", scenario],
        cwd=ROOT,
        env=subprocess_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "after the kill": "RUNNING",
        "queued again by a sweep within the limit": 0,
        "queued again by a sweep past the limit": 1,
        "in the end": "SUCCESSFUL",
        "runs": 2,
        "result": 2,
        "workers": ["doomed", "second"],
    }, result.stderr


def kill_a_worker_mid_task() -> None:
    """In its own process (Django set up), on the database the environment names: a real
    ``db_worker`` process is killed while it runs a task; the sweep; a second worker. Prints what
    happened as JSON."""
    import time

    from django.conf import settings
    from django.core.management import call_command

    from undersigned.tasks_sweep.tests.tasks import hold_on_first_run
    from undersigned.testing import ROOT

    call_command("migrate", verbosity=0)
    marker = Path(settings.VAR_DIR) / "runs.txt"
    task_id = hold_on_first_run.enqueue(str(marker)).id
    manage = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-startup-delay", "--no-reload"]
    worker = subprocess.Popen([*manage, "--interval", "0.1", "--worker-id", "doomed"], cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    worker.kill()  # SIGKILL: as the out-of-memory killer or a lost machine ends it, with no last word
    worker.wait(10)
    after_kill = DBTaskResult.objects.get(pk=task_id).status
    early = tasks_requeue_abandoned().requeued
    later = tasks_requeue_abandoned(now=timezone.now() + DEFAULT_MAX_RUN_TIME + timedelta(seconds=1)).requeued
    subprocess.run([*manage, "--batch", "--worker-id", "second"], cwd=ROOT, check=True, timeout=60)  # noqa: S603
    final = DBTaskResult.objects.get(pk=task_id)
    outcome = {
        "after the kill": after_kill,
        "queued again by a sweep within the limit": early,
        "queued again by a sweep past the limit": later,
        "in the end": final.status,
        "runs": len(marker.read_text().splitlines()),
        "result": final.return_value,
        "workers": final.worker_ids,
    }
    print(json.dumps(outcome), flush=True)  # noqa: T201


def due_schedule() -> None:
    SweepSchedule.objects.update_or_create(
        pk=SweepSchedule.SINGLETON_PK, defaults={"next_run_at": timezone.now() - timedelta(seconds=1)}
    )


def sweeps(status: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=SWEEP, status=status))


def test_many_sweeps_at_once_make_one_chain(run_tasks):
    due_schedule()
    for _ in range(5):
        sweep_tasks.enqueue()

    run_tasks()

    outcomes = sorted(result.return_value for result in sweeps("SUCCESSFUL"))
    assert [outcome.startswith("queued 0 task(s) again") for outcome in outcomes] == [False] * 4 + [True]
    assert outcomes[:4] == ["not due: another run has claimed it"] * 4
    (successor,) = sweeps("READY")
    assert successor.run_after == SweepSchedule.objects.get().next_run_at


def test_the_chain_renews_itself_and_each_run_forgets_the_one_before(run_tasks):
    import time_machine

    due_schedule()
    first = sweep_tasks.enqueue()
    run_tasks()
    for _ in range(2):
        with time_machine.travel(timezone.now() + SWEEP_EVERY + timedelta(seconds=1), tick=True):
            run_tasks()

    assert [result.pk for result in sweeps("SUCCESSFUL")] != [first.id]
    assert len(sweeps("SUCCESSFUL")) == 1  # the last run; those before it are forgotten
    assert len(sweeps("READY")) == 1


def test_a_new_site_s_chain_starts_with_the_first_check():
    """``migrate`` makes the schedule overdue and queues nothing: the first task any worker
    starts (which checks the chain) starts it, not one that happens to start minutes later."""
    assert SweepSchedule.objects.exists()  # created after migrate
    assert sweeps("READY") == []
    assert sweep_schedule_ensure() is True
    assert len(sweeps("READY")) == 1


def test_a_lost_chain_is_started_again_once_overdue():
    SweepSchedule.objects.update(next_run_at=timezone.now() + timedelta(minutes=1))  # a live chain
    assert sweep_schedule_ensure() is False
    SweepSchedule.objects.update(next_run_at=timezone.now() - timedelta(minutes=6))

    assert sweep_schedule_ensure() is True
    assert len(sweeps("READY")) == 1


def test_concurrent_claims_of_one_due_sweep_have_one_winner():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")
    due_schedule()
    now = timezone.now()
    runs = 8
    barrier = threading.Barrier(runs, timeout=30)

    def claim() -> bool:
        try:
            connection.ensure_connection()
            barrier.wait()
            return sweep_schedule_claim(now=now) is not None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        won = [future.result(timeout=60) for future in [pool.submit(claim) for _ in range(runs)]]
    assert won.count(True) == 1
