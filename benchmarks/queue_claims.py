"""How fast the django-tasks database queue hands out work, run by hand; its numbers go into the README.

Enqueues BENCH_TASKS no-op tasks (benchmarks/queue_noop.py) on DATABASE_URL (PostgreSQL: the caller
creates an empty database and drops it afterwards; without it, a throwaway SQLite file), then starts
K ``manage.py db_worker --batch`` processes at once, for each K in BENCH_QUEUE_WORKERS, and times
them until they have emptied the queue and exited. A task costs the worker one claim (``SELECT …
FOR UPDATE SKIP LOCKED`` on the ready rows, in a transaction), the running mark, the task itself
and the successful mark: with a no-op task what is left is the queue's own cost per task, which is
what a mail costs on top of building and sending it. A worker's start-up, measured on an empty
queue, is taken off its CPU.

Prints per K: tasks claimed and finished per second (from the first task's ``started_at`` to the last
one's ``finished_at``, so the workers' start-up is left out), the CPU of the workers and of the
PostgreSQL backends serving them per task, and the machine's load.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_queue"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_queue scripts/uv run python benchmarks/queue_claims.py
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE bench_queue"

Knobs: BENCH_TASKS (2000 per K), BENCH_QUEUE_WORKERS (1,2,4: the K to try).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import production_environment
from sign_flow import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
TASKS = int(os.environ.get("BENCH_TASKS", "2000"))
WORKER_COUNTS = [int(k) for k in os.environ.get("BENCH_QUEUE_WORKERS", "1,2,4").split(",") if k.strip()]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-queue-") as directory:
        env = production_environment(Path(directory))
        env.pop("REDIS_URL", None)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection, transaction
        from django.db.models import Max, Min
        from django_tasks_db.models import DBTaskResult
        from queue_noop import nothing

        database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        print(f"{database}, {TASKS} no-op tasks per run, db_worker --batch processes started together")
        print(f"  {'workers':>7} {'tasks/s':>9} {'worker CPU ms/task':>19} {'PostgreSQL CPU ms/task':>23} {'load':>5}")
        # The worker imports the task by its module path: queue_noop, found beside this script.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH", "")]))
        worker = [*manage, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--verbosity", "0"]
        # A worker's start-up (Django, the task modules) is not the queue's cost: measured once on
        # an empty queue and taken off each worker's CPU below.
        DBTaskResult.objects.all().delete()
        connection.close()
        start_up = statistics.median(worker_cpu_seconds([worker], env) for _ in range(3))
        print(f"  a worker's start-up and exit on an empty queue: {start_up * 1000:.0f} ms of CPU (taken off below)")
        for workers in WORKER_COUNTS:
            DBTaskResult.objects.all().delete()
            enqueue_started = time.perf_counter()
            with transaction.atomic():
                for number in range(TASKS):
                    nothing.enqueue(number)
            enqueued = time.perf_counter() - enqueue_started
            connection.close()
            backends = Backends()
            backends.start()
            started = time.perf_counter()
            processes: list[subprocess.Popen[bytes]] = []
            worker_cpu = worker_cpu_seconds([worker] * workers, env, processes) - workers * start_up
            elapsed = time.perf_counter() - started
            backends.stop()
            done = DBTaskResult.objects.successful().count()
            span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
            window = (span["last"] - span["first"]).total_seconds() if done else elapsed
            connection.close()
            load = os.getloadavg()[0]
            print(
                f"  {workers:>7} {done / window:>9.0f} {worker_cpu / max(done, 1) * 1000:>19.2f} "
                f"{backends.used() / max(done, 1) * 1000:>23.2f} {load:>5.1f}"
                f"   ({done} of {TASKS} in {window:.1f} s; {elapsed:.1f} s with the workers' start-up; "
                f"enqueued at {TASKS / enqueued:.0f}/s in one transaction)"
            )
            if any(process.returncode for process in processes) or done != TASKS:
                print("  a worker failed or tasks were left", file=sys.stderr)
                return 1
    return 0


def worker_cpu_seconds(
    commands: list[list[str]], env: dict[str, str], processes: list[subprocess.Popen[bytes]] | None = None
) -> float:
    """Starts the commands together and waits for them: their CPU, as the kernel accounts it once reaped."""
    started = [subprocess.Popen(command, cwd=ROOT, env=env) for command in commands]
    if processes is not None:
        processes.extend(started)
    seconds = 0.0
    for process in started:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds += usage.ru_utime + usage.ru_stime
    return seconds


class Backends(threading.Thread):
    """Samples, ten times a second, the CPU of the PostgreSQL backends serving this database: they
    come and go with the workers, so each one's last reading before it exits is what it used."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.first: dict[int, float] = {}
        self.running = True

    def run(self) -> None:
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        try:
            while self.running:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    pids = [int(row[0]) for row in cursor.fetchall()]
                for pid, seconds in cpu_seconds(pids).items():
                    self.first.setdefault(pid, seconds)
                    self.seen[pid] = seconds
                time.sleep(0.1)
        finally:
            connection.close()

    def stop(self) -> None:
        self.running = False
        self.join()

    def used(self) -> float:
        # A backend first seen after its start has used a little already: a slight undercount.
        return sum(self.seen[pid] - self.first[pid] for pid in self.seen)


if __name__ == "__main__":
    sys.exit(main())
