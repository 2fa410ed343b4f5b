"""Crash-safety benchmark, run by hand; its table goes into the README (Measurements, Crash safety).

The site as `make stack` runs it, from scripts/stack.py's helpers: nginx with
deploy/nginx/undersigned.conf in front of CRASH_APP_SERVERS gunicorn servers, CRASH_DB_WORKERS
``manage.py db_worker`` processes, an SMTP server on loopback (aiosmtpd) that records every message
it accepts, so that duplicates can be counted, and a PostgreSQL cluster of its own
(scripts/run_tests.py's throwaway cluster, but with ``synchronous_commit`` on, as in production:
what the server acknowledged must survive its restart; ``fsync`` stays off, since the restart kills
processes, not the machine). MAIL_LEASE_SECONDS=60, the shortest the site allows: a message whose
worker was killed goes out about two minutes later (the lease, then the task sweep's minute).

1. Load and crashes. CRASH_CONCURRENCY clients take CRASH_SIGNERS signers through the flow of
   benchmarks/sign_flow.py (statement page, sign POST, the link from the mail, confirm POST; its
   helpers build the requests), while every 3 to 9 s, at random, a gunicorn worker, a gunicorn
   master (its workers leave by themselves; the master is started again on its port) or a
   db_worker that is running a task (started again a second later) is killed with SIGKILL. Once,
   when half the signers are acknowledged, PostgreSQL restarts (``pg_ctl restart -m immediate``).
   A sign or confirm POST that got no answer, or a 5xx, is sent again (up to CRASH_RETRIES times),
   as a person would: what must hold is about what the site acknowledged.
2. Overload. Sign POSTs from CRASH_CONCURRENCY clients back to back for 10 s measure what the site
   sustains; then new sign POSTs arrive at twice that rate, each on its own connection (15 s
   client timeout), for CRASH_OVERLOAD_SECONDS, while the statement page is fetched twice a second
   as a visitor gets it (nginx's cache) and past the cache.
3. Drain: until every acknowledged signer has a mail and every link has been followed, and the
   outbox is empty, or no mail came for CRASH_DRAIN_IDLE seconds.
4. Count: signers acknowledged (sign POST answered 200); acknowledged signatures missing from the
   database; acknowledged signatures without a mail; mails received more often than the site
   queued them for the address (duplicates: a message sent twice); confirmations acknowledged
   (302) whose signature is not confirmed in the database; the public count; ``verify_tally`` and
   ``verify_audit``; messages and tasks left; how long the site took to answer again after the
   PostgreSQL restart.

    scripts/uv run python benchmarks/crash.py
    CRASH_SIGNERS=300 scripts/uv run python benchmarks/crash.py      # a quick run

Knobs: CRASH_SIGNERS (3000), CRASH_CONCURRENCY (12), CRASH_APP_SERVERS (2), CRASH_APP_WORKERS (2
gunicorn workers × CRASH_APP_THREADS 4 threads each), CRASH_DB_WORKERS (2), CRASH_RETRIES (5),
CRASH_OVERLOAD_SECONDS (20), CRASH_DRAIN_IDLE (420 s: longer than a killed worker's mail waits, its
lease and the sweep's minute), CRASH_SEED (random). The exit status is non-zero if anything
acknowledged was lost or a check failed.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import importlib
import os
import pwd
import queue
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

# The signers talk to nginx, as sign_flow.py's do with BENCH_NGINX (their Origin is nginx's).
os.environ["BENCH_NGINX"] = "1"

from common import process_tree  # noqa: E402
from sign_flow import (  # noqa: E402
    CONFIRM_LINK,
    SLUG,
    TALLY_NUMBER,
    Connection,
    Signer,
    environment,
    sign_form,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
# scripts/: nginx, gunicorn and the process helpers of `make stack`, and the throwaway PostgreSQL cluster.
stack: Any = importlib.import_module("stack")
run_tests: Any = importlib.import_module("run_tests")

SIGNERS = int(os.environ.get("CRASH_SIGNERS", "3000"))
CONCURRENCY = int(os.environ.get("CRASH_CONCURRENCY", "12"))
APP_SERVERS = int(os.environ.get("CRASH_APP_SERVERS", "2"))
APP_WORKERS = int(os.environ.get("CRASH_APP_WORKERS", "2"))
APP_THREADS = int(os.environ.get("CRASH_APP_THREADS", "4"))
DB_WORKERS = int(os.environ.get("CRASH_DB_WORKERS", "2"))
RETRIES = int(os.environ.get("CRASH_RETRIES", "5"))
OVERLOAD_SECONDS = float(os.environ.get("CRASH_OVERLOAD_SECONDS", "20"))
DRAIN_IDLE = float(os.environ.get("CRASH_DRAIN_IDLE", "420"))
SEED = int(os.environ.get("CRASH_SEED") or secrets.randbelow(10**6))
LEASE_SECONDS = 60
# The production tuning of the throwaway cluster but for durability: synchronous_commit stays on
# (its default), so a commit the app was told of is in the WAL when PostgreSQL is killed.
DURABLE_TUNING = "-c fsync=off -c full_page_writes=off -c max_connections=200"
CALIBRATION_SECONDS = 10.0
OVERLOAD_TIMEOUT = 15.0
SLOW = 10.0  # no request may wait longer than this under overload
SWEEP_TASK = "undersigned.tasks_sweep.tasks.sweep_tasks"


# --- The mail server ------------------------------------------------------------------------------


class Recorder:
    """aiosmtpd's handler: counts every message per recipient and hands on each confirmation link."""

    def __init__(self, on_link: Callable[[str, str], None]) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.on_link = on_link
        self.last_arrival = time.monotonic()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        link = CONFIRM_LINK.search(body.get_content() if body is not None else "")
        for recipient in envelope.rcpt_tos:
            with self.lock:
                self.received[recipient.lower()] += 1
                self.last_arrival = time.monotonic()
            if link is not None:
                self.on_link(recipient.lower(), link.group(1))
        return "250 Message accepted for delivery"


# --- The processes and what kills them -------------------------------------------------------------


@dataclass
class Processes:
    env: dict[str, str]
    database_url: str
    app_ports: list[int]
    log: Any  # the servers' and workers' output, read at the end
    apps: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    exited_by_themselves: Counter[str] = field(default_factory=Counter)

    def start_app(self, port: int) -> None:
        command = stack.gunicorn_command(port, workers=APP_WORKERS, threads=APP_THREADS)
        for _ in range(20):  # the port is free once the dead master's workers have left
            process = stack.start(command, self.env, stdout=self.log, stderr=self.log)
            try:
                stack.wait_for_health(port, [process], seconds=60)
            except RuntimeError:
                stack.stop(process)
                time.sleep(0.5)
                continue
            with self.lock:
                self.apps[port] = process
            return
        raise RuntimeError(f"gunicorn did not start again on port {port}")

    def start_worker(self) -> None:
        worker_id = f"crash-{secrets.token_hex(6)}"
        command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--verbosity", "0"]
        process = stack.start([*command, "--worker-id", worker_id], self.env, stdout=self.log, stderr=self.log)
        with self.lock:
            self.workers[worker_id] = process

    def all(self) -> list[subprocess.Popen[bytes]]:
        with self.lock:
            return [*self.apps.values(), *self.workers.values()]

    def restart_the_fallen(self) -> None:
        """Starts again what exited without being killed here, as a process supervisor would."""
        with self.lock:
            fallen_apps = [port for port, process in self.apps.items() if process.poll() is not None]
            fallen_workers = [name for name, process in self.workers.items() if process.poll() is not None]
            for name in fallen_workers:
                del self.workers[name]
        for port in fallen_apps:
            self.exited_by_themselves["gunicorn"] += 1
            self.start_app(port)
        for _ in fallen_workers:
            self.exited_by_themselves["db_worker"] += 1
            self.start_worker()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has left; only its parent has not read its status


class Chaos:
    """Kills a process at random moments, and PostgreSQL once; notes what it did and when."""

    def __init__(self, processes: Processes, rng: random.Random) -> None:
        self.processes, self.rng = processes, rng
        self.events: list[str] = []
        self.kills: Counter[str] = Counter()
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self.restart_due = threading.Event()
        self.restart: dict[str, float] = {}

    def note(self, text: str) -> None:
        line = f"  {time.monotonic() - self.started:7.1f} s  {text}"
        self.events.append(line)
        print(line, flush=True)

    def run(self) -> None:
        actions = [self.kill_app_worker, self.kill_app_master, self.kill_db_worker]
        while not self.stopping.wait(self.rng.uniform(3, 9)):
            if self.restart_due.is_set() and not self.restart:
                self.restart_postgres()
            else:
                self.rng.choice(actions)()
            self.processes.restart_the_fallen()

    def kill_app_worker(self) -> None:
        port = self.rng.choice(self.processes.app_ports)
        master = self.processes.apps[port]
        children = process_tree(master.pid)[1:]
        if not children:
            return
        victim = self.rng.choice(children)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        self.kills["gunicorn worker"] += 1
        self.note(f"SIGKILL gunicorn worker {victim} (server :{port}); its master starts another")

    def kill_app_master(self) -> None:
        port = self.rng.choice(self.processes.app_ports)
        master = self.processes.apps[port]
        children = process_tree(master.pid)[1:]
        master.kill()
        master.wait()
        self.kills["gunicorn master"] += 1
        deadline = time.monotonic() + 30
        while any(alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)  # each worker sees its parent gone within a second or so, and leaves
        left = [child for child in children if alive(child)]
        for child in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        started = time.monotonic()
        self.processes.start_app(port)
        self.note(
            f"SIGKILL gunicorn master {master.pid} (server :{port}); its {len(children)} workers left"
            + (f" ({len(left)} killed after 30 s)" if left else "")
            + f"; started again, answering after {time.monotonic() - started:.1f} s"
        )

    def kill_db_worker(self) -> None:
        """Kills a worker while it runs a task, if one does within 5 s; else any worker."""
        import psycopg

        victim = None
        deadline = time.monotonic() + 5
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.processes.database_url, autocommit=True) as db:
            while victim is None and time.monotonic() < deadline:
                rows = db.execute(
                    "SELECT task_path, worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
                ).fetchall()
                with self.processes.lock:
                    running = [
                        (path, ids[-1])
                        for path, ids in rows
                        if ids and ids[-1] in self.processes.workers and self.processes.workers[ids[-1]].poll() is None
                    ]
                if running:
                    victim = self.rng.choice(running)
                else:
                    time.sleep(0.02)
        with self.processes.lock:
            if victim is None:
                name = self.rng.choice(list(self.processes.workers))
                what = "idle"
            else:
                name, what = victim[1], f"running {victim[0].rsplit('.', 1)[-1]}"
            process = self.processes.workers.pop(name)
        process.kill()
        process.wait()
        self.kills["db_worker"] += 1
        time.sleep(1)
        self.processes.start_worker()
        self.note(f"SIGKILL db_worker {process.pid} ({what}); another started 1 s later")

    def restart_postgres(self) -> None:
        import psycopg

        with psycopg.connect(self.processes.database_url, autocommit=True) as db:
            data = Path(str(db.execute("SHOW data_directory").fetchall()[0][0]))
        owner = pwd.getpwuid(data.stat().st_uid).pw_name
        run_as = ["runuser", "-u", owner, "--"] if os.geteuid() == 0 and owner != "root" else []
        pg_ctl = str(run_tests.postgres_bin_dir() / "pg_ctl")
        self.restart["began"] = time.monotonic()
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-l", str(data.parent / "log"), "-m", "immediate", "-w", "restart"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.restart["up"] = time.monotonic()
        ports = list(self.processes.app_ports)
        while len(self.restart) < 3 and time.monotonic() - self.restart["began"] < 120:
            for port in ports:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    probe.request("GET", "/healthz")
                    if probe.getresponse().status == 200:
                        self.restart["healthy"] = time.monotonic()
                        break
            else:
                time.sleep(0.05)
        self.kills["PostgreSQL restart"] += 1
        up = self.restart["up"] - self.restart["began"]
        self.note(
            f"pg_ctl restart -m immediate: accepting connections after {up:.1f} s"
            + (
                f", /healthz 200 again after {self.restart['healthy'] - self.restart['began']:.1f} s"
                if "healthy" in self.restart
                else ", /healthz not 200 within 120 s"
            )
        )


# --- The signers -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one signer's requests got."""

    sign_acknowledged: float | None = None  # monotonic time of the 200
    sign_attempts: int = 0
    confirm_acknowledged: bool = False
    confirm_queued: bool = False
    confirm_finished: bool = False
    overload: bool = False


class Load:
    def __init__(self, port: int, tag: str) -> None:
        self.port = port
        self.tag = tag
        self.lock = threading.Lock()
        self.signers: list[Signer] = []
        self.by_email: dict[str, tuple[Signer, Outcome]] = {}
        self.outcomes: dict[int, Outcome] = {}
        self.ready: queue.Queue[tuple[Signer, str]] = queue.Queue()
        self.taken = 0
        self.planned = 0
        self.sign_finished = 0
        self.failures: Counter[str] = Counter()
        self.stopping = threading.Event()

    def new_signer(self, *, overload: bool = False) -> tuple[Signer, Outcome]:
        with self.lock:
            index = len(self.signers)
            signer = Signer(
                index=index,
                email=f"signer{index}.{self.tag}@example.org",
                # One /24 per signer, as in sign_flow.py: the per-network limits see one person each.
                address=f"{10 + index // 65536}.{index // 256 % 256}.{index % 256}.1",
            )
            outcome = Outcome(overload=overload)
            self.signers.append(signer)
            self.outcomes[index] = outcome
            self.by_email[signer.email] = (signer, outcome)
        return signer, outcome

    def link_arrived(self, address: str, token: str) -> None:
        with self.lock:
            known = self.by_email.get(address)
            if known is None or known[1].overload or known[1].confirm_queued:
                return
            known[1].confirm_queued = True
        self.ready.put((known[0], token))

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures[what] += 1

    def acknowledged(self) -> int:
        with self.lock:
            return sum(outcome.sign_acknowledged is not None for outcome in self.outcomes.values())

    # Each client thread: a confirmation whose mail has come, else a new signer, else wait.
    def client(self) -> None:
        connection = Connection(self.port)
        while not self.stopping.is_set():
            try:
                signer, token = self.ready.get_nowait()
            except queue.Empty:
                with self.lock:
                    more = self.taken < self.planned
                    self.taken += more
                if more:
                    self.sign(connection, *self.new_signer())
                    continue
                try:
                    signer, token = self.ready.get(timeout=0.2)
                except queue.Empty:
                    continue
            self.confirm(connection, signer, token)

    def request(
        self, connection: Connection, step: str, method: str, path: str, headers: dict[str, str], body: str | None
    ) -> tuple[int, http.client.HTTPMessage, str] | None:
        try:
            return connection.request(method, path, headers, body)
        except (OSError, http.client.HTTPException) as error:
            self.fail(f"{step}: {type(error).__name__}")
            return None

    def sign(self, connection: Connection, signer: Signer, outcome: Outcome) -> None:
        try:
            self.sign_with_retries(connection, signer, outcome)
        finally:
            with self.lock:
                self.sign_finished += 1

    def sign_with_retries(self, connection: Connection, signer: Signer, outcome: Outcome) -> None:
        answer: tuple[int, http.client.HTTPMessage, str] | None = None
        for attempt in range(RETRIES):
            if attempt:
                time.sleep(pause(attempt, answer))
            page = self.request(connection, "page GET", "GET", f"/statements/{SLUG}/", signer.headers(self.port), None)
            if page is None or page[0] != 200:
                if page is not None:
                    self.fail(f"page GET: {page[0]}")
                continue
            signer.keep_cookies(page[1])
            form = sign_form(signer, page[2])
            if form is None:
                self.fail("page GET: no sign form")
                continue
            outcome.sign_attempts += 1
            path, headers = f"/statements/{SLUG}/sign/", signer.headers(self.port, True)
            answer = self.request(connection, "sign POST", "POST", path, headers, urlencode(form))
            if answer is not None and answer[0] == 200:
                outcome.sign_acknowledged = time.monotonic()
                return
            if answer is not None:
                self.fail(f"sign POST: {answer[0]}")
                if answer[0] < 500:
                    return  # refused: sending it again would not help
        self.fail("sign POST: gave up after retries")

    def confirm(self, connection: Connection, signer: Signer, token: str) -> None:
        outcome = self.outcomes[signer.index]
        try:
            self.confirm_with_retries(connection, signer, token, outcome)
        finally:
            outcome.confirm_finished = True

    def confirm_with_retries(self, connection: Connection, signer: Signer, token: str, outcome: Outcome) -> None:
        answer: tuple[int, http.client.HTTPMessage, str] | None = None
        for attempt in range(RETRIES):
            if attempt:
                time.sleep(pause(attempt, answer))
            body = urlencode({"csrfmiddlewaretoken": signer.csrf})
            headers = signer.headers(self.port, True)
            answer = self.request(connection, "confirm POST", "POST", f"/signatures/confirm/{token}/", headers, body)
            if answer is not None and answer[0] == 302:  # to the thank-you page: confirmed
                outcome.confirm_acknowledged = True
                return
            if answer is not None:
                self.fail(f"confirm POST: {answer[0]}")
                if answer[0] < 500:
                    return
        self.fail("confirm POST: gave up after retries")


def pause(attempt: int, answer: tuple[int, http.client.HTTPMessage, str] | None) -> float:
    """How long a person waits before sending again: what Retry-After says (at most 10 s), else a bit
    longer each time."""
    retry_after = answer[1].get("Retry-After", "") if answer is not None else ""
    return min(float(retry_after), 10.0) if retry_after.isdigit() else 0.5 * attempt


# --- Overload ----------------------------------------------------------------------------------------


@dataclass
class Burst:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    unavailable_with_retry_after: int = 0
    page_statuses: Counter[str] = field(default_factory=Counter)
    page_latencies: list[float] = field(default_factory=list)
    capacity: float = 0.0
    rate: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_sign(load: Load, form_page: str, burst: Burst) -> None:
    signer, outcome = load.new_signer(overload=True)
    form = sign_form(signer, form_page) or {}
    connection = http.client.HTTPConnection("127.0.0.1", load.port, timeout=OVERLOAD_TIMEOUT)
    started = time.monotonic()
    try:
        connection.request("POST", f"/statements/{SLUG}/sign/", urlencode(form), signer.headers(load.port, True))
        response = connection.getresponse()
        response.read()
        status, retry_after = str(response.status), response.getheader("Retry-After")
    except TimeoutError:
        status, retry_after = "no answer within 15 s", None
    except (OSError, http.client.HTTPException) as error:
        status, retry_after = type(error).__name__, None
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    if status == "200":
        outcome.sign_acknowledged = time.monotonic()
    with burst.lock:
        burst.statuses[status] += 1
        burst.latencies.append(elapsed)
        burst.unavailable_with_retry_after += status == "503" and retry_after is not None


def page_probe(port: int, burst: Burst, until: float) -> None:
    """The statement page twice a second: as nginx's cache gives it, and past the cache (a visitor
    with the cookie that sends reads to the app)."""
    while time.monotonic() < until:
        for headers in ({"Accept-Language": "en"}, {"Accept-Language": "en", "Cookie": "undersigned_primary=1"}):
            kind = "cached" if "Cookie" not in headers else "uncached"
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=OVERLOAD_TIMEOUT)
                connection.request("GET", f"/statements/{SLUG}/", headers=headers)
                status = str(connection.getresponse().status)
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            with burst.lock:
                burst.page_statuses[f"{kind} {status}"] += 1
                burst.page_latencies.append(time.monotonic() - started)
        time.sleep(0.5)


def overload(load: Load) -> Burst:
    burst = Burst()
    page = Connection(load.port).request("GET", f"/statements/{SLUG}/", {"Accept-Language": "en"})[2]

    # What the site sustains: sign POSTs back to back.
    calibration = Burst()
    deadline = time.monotonic() + CALIBRATION_SECONDS

    def back_to_back() -> None:
        while time.monotonic() < deadline:
            one_sign(load, page, calibration)

    threads = [threading.Thread(target=back_to_back) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    burst.capacity = calibration.statuses["200"] / CALIBRATION_SECONDS
    burst.rate = max(2 * burst.capacity, 1.0)

    # Twice that, arriving whatever the site does with them.
    started = time.monotonic()
    until = started + OVERLOAD_SECONDS
    probe = threading.Thread(target=page_probe, args=(load.port, burst, until))
    probe.start()
    arrivals = []
    for number in range(int(burst.rate * OVERLOAD_SECONDS)):
        time.sleep(max(0.0, started + number / burst.rate - time.monotonic()))
        arrival = threading.Thread(target=one_sign, args=(load, page, burst))
        arrival.start()
        arrivals.append(arrival)
    for thread in [*arrivals, probe]:
        thread.join()
    return burst


# --- Counting --------------------------------------------------------------------------------------


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


def manage(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def public_count(port: int) -> int | None:
    # Past nginx's cache, as a signer sees their own signature.
    headers = {"Accept-Language": "en", "Cookie": "undersigned_primary=1"}
    status, _, content = Connection(port).request("GET", f"/statements/{SLUG}/", headers)
    number = TALLY_NUMBER.search(content)
    return int(re.sub(r"\D", "", number.group(1)) or 0) if status == 200 and number else None


class Sweeper:
    """Runs the task sweep's services once a minute, as its chain does on a site that has run a while.

    On a new site the chain starts itself only when a worker begins a task after the sweep is five
    minutes overdue (``tasks_sweep.apps``): later than this benchmark's load, and never in a drain
    where no task begins. Which of the two put a task back is counted apart."""

    def __init__(self) -> None:
        self.requeued = 0
        self.mails = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection
        from django.utils import timezone

        from undersigned.notifications.services import mail_requeue_orphans
        from undersigned.tasks_sweep.services import tasks_requeue_abandoned

        while not self.stopping.wait(60):
            try:
                self.requeued += tasks_requeue_abandoned().requeued
                self.mails += mail_requeue_orphans(now=timezone.now())
            except Exception as error:  # noqa: BLE001 (PostgreSQL restarting: the next minute tries again)
                print(f"  the sweep failed: {type(error).__name__}", flush=True)
            finally:
                connection.close()


def drain(load: Load, recorder: Recorder, processes: Processes) -> float:
    """Waits for the mails and confirmations still to come; how long it waited."""
    from undersigned.notifications.models import OutgoingMail

    started = time.monotonic()
    while True:
        processes.restart_the_fallen()
        with load.lock:
            waiting = [
                signer.email
                for signer in load.signers
                if load.outcomes[signer.index].sign_acknowledged is not None and not recorder.received[signer.email]
            ]
            unconfirmed = sum(
                outcome.confirm_queued and not outcome.confirm_finished for outcome in load.outcomes.values()
            )
        outbox = OutgoingMail.objects.count()
        idle = time.monotonic() - recorder.last_arrival
        if (not waiting and not outbox and unconfirmed == 0 and load.ready.empty()) or idle > DRAIN_IDLE:
            break
        if int(time.monotonic() - started) % 30 == 0:
            print(
                f"  draining: {len(waiting)} acknowledged signer(s) without a mail yet, {outbox} message(s) "
                f"queued, {unconfirmed} link(s) to follow; last mail {idle:.0f} s ago",
                flush=True,
            )
        time.sleep(1)
    return time.monotonic() - started


ERROR_PATH = re.compile(r"ERROR django\.request [A-Za-z ]*Error: (\S+)")
EXCEPTION_LINE = re.compile(r"^((?:\w+\.)+\w+(?:Error|Exception|Timeout)): ", re.MULTILINE)


def logged_errors(log: Path) -> str:
    """The requests the app servers answered with a 5xx, by path, and the exceptions logged."""
    text = log.read_text(errors="replace")
    paths = Counter(re.sub(r"/confirm/[^/]+/", "/confirm/…/", path) for path in ERROR_PATH.findall(text))
    exceptions = Counter(EXCEPTION_LINE.findall(text))
    return ("; ".join(f"{path} {count}" for path, count in paths.most_common()) or "none") + (
        f" ({', '.join(f'{name} {count}' for name, count in exceptions.most_common())})" if exceptions else ""
    )


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:  # noqa: C901 (one run, read top to bottom)
    signal.signal(signal.SIGTERM, interrupted)
    from aiosmtpd.controller import Controller

    rng = random.Random(SEED)  # noqa: S311 (when to kill what, not secrets)
    processes: Processes | None = None
    nginx: Any = None
    smtp: Any = None
    with contextlib.ExitStack() as resources:
        try:
            directory = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="undersigned-crash-")))
            directory.chmod(0o755)  # nginx's workers (nobody, when run as root) read the static files
            database_url = resources.enter_context(run_tests.throwaway_postgres(tuning=DURABLE_TUNING))
            smtp_port = stack.free_port()
            env = environment(directory / "var", smtp_port)
            env.update(DATABASE_URL=database_url, MAIL_LEASE_SECONDS=str(LEASE_SECONDS))
            for command in (
                ["migrate", "--no-input", "-v", "0"],
                ["load_demo", "--allow-production"],
                ["collectstatic", "--no-input", "-v", "0"],
            ):
                subprocess.run(
                    [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
                )
            # This process signs the forms' ``started`` tokens and counts in the database at the end.
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            from django.db import connection
            from django_tasks_db.models import DBTaskResult

            from undersigned.notifications.models import OutgoingMail
            from undersigned.signatures.addresses import email_hash
            from undersigned.signatures.models import Signature
            from undersigned.statements.models import Statement

            statement_id = Statement.objects.values_list("pk", flat=True).get(slug=SLUG)
            connection.close()

            load = Load(0, secrets.token_hex(3))
            recorder = Recorder(load.link_arrived)
            smtp = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
            smtp.start()
            log_path = directory / "servers.log"
            log = resources.enter_context(log_path.open("ab"))
            processes = Processes(env=env, database_url=database_url, app_ports=[], log=log)
            processes.app_ports = [stack.free_port() for _ in range(APP_SERVERS)]
            for port in processes.app_ports:
                processes.start_app(port)
            for _ in range(DB_WORKERS):
                processes.start_worker()
            port = stack.free_port()
            site = stack.site_conf(
                listen=f"127.0.0.1:{port}",
                app_ports=processes.app_ports,
                static_root=directory / "var" / "static",
                cache_path=directory / "nginx" / "cache",
                server_name="127.0.0.1",
                # The bound on requests in flight per app server that `make stack` sets
                # (deploy/nginx/undersigned.conf's overload guard).
                max_conns=2 * APP_WORKERS * APP_THREADS,
            )
            nginx = stack.Nginx(directory / "nginx", site, port, processes=1)
            stack.wait_for_health(port, [*processes.all(), nginx.process])
            load.port = port
            baseline = public_count(port) or 0
            print(
                "PostgreSQL (own cluster, synchronous_commit on), "
                f"nginx (max_conns {2 * APP_WORKERS * APP_THREADS} per app server) in front of "
                f"{APP_SERVERS} gunicorn servers "
                f"({APP_WORKERS} workers × {APP_THREADS} threads), {DB_WORKERS} db_workers, MAIL_LEASE_SECONDS="
                f"{LEASE_SECONDS}; {SIGNERS} signers, {CONCURRENCY} clients, seed {SEED}",
                flush=True,
            )

            # 1. Load and crashes.
            chaos = Chaos(processes, rng)
            load.planned = SIGNERS
            clients = [threading.Thread(target=load.client, daemon=True) for _ in range(CONCURRENCY)]
            chaos_thread = threading.Thread(target=chaos.run, daemon=True)
            sweeper = Sweeper()
            load_started = time.monotonic()
            for thread in [*clients, chaos_thread, threading.Thread(target=sweeper.run, daemon=True)]:
                thread.start()
            while True:
                with load.lock:
                    signing = load.sign_finished < SIGNERS
                if load.acknowledged() >= SIGNERS // 2:
                    chaos.restart_due.set()
                if not signing and chaos.restart:
                    break
                time.sleep(0.5)
            # The last signers are on their way: let their requests end before the killing stops.
            time.sleep(5)
            chaos.stopping.set()
            chaos_thread.join()
            processes.restart_the_fallen()
            load_seconds = time.monotonic() - load_started
            print(f"load and crashes: {load_seconds:.0f} s", flush=True)

            # 2. Overload (the clients go on following links meanwhile).
            for app_port in processes.app_ports:
                stack.wait_for_health(app_port, processes.all())
            burst = overload(load)

            # 3. Drain.
            drained = drain(load, recorder, processes)
            load.stopping.set()
            sweeper.stopping.set()
            for thread in clients:
                thread.join(timeout=60)

            # 4. Count.
            with load.lock:
                acknowledged = [s for s in load.signers if load.outcomes[s.index].sign_acknowledged is not None]
                confirmed_acks = [s for s in load.signers if load.outcomes[s.index].confirm_acknowledged]
            rows = {
                row["email_hash"]: row
                for row in Signature.objects.filter(statement_id=statement_id).values(
                    "email_hash", "status", "mails_sent"
                )
            }
            ours = {signer.email: rows.get(email_hash(signer.email)) for signer in load.signers}
            lost_signatures = [s for s in acknowledged if ours[s.email] is None]
            without_mail = [s for s in acknowledged if not recorder.received[s.email]]
            duplicates = {
                address: count - row["mails_sent"]
                for address, count in recorder.received.items()
                if (row := ours.get(address)) is not None and count > row["mails_sent"]
            }
            asked_again = sum(max(0, row["mails_sent"] - 1) for row in ours.values() if row is not None)
            unacknowledged_stored = [
                s for s in load.signers if load.outcomes[s.index].sign_acknowledged is None and ours[s.email]
            ]
            confirmed = Signature.Status.CONFIRMED
            missing_confirmations = [
                s for s in confirmed_acks if (row := ours[s.email]) is None or row["status"] != confirmed
            ]
            held = sum(1 for s in confirmed_acks if (row := ours[s.email]) and row["status"] == Signature.Status.HELD)
            confirmed_in_database = Signature.objects.filter(
                statement_id=statement_id, status=Signature.Status.CONFIRMED
            ).count()
            outbox_left = OutgoingMail.objects.count()
            chain_runs = DBTaskResult.objects.filter(task_path=SWEEP_TASK).exclude(status="READY").count()
            chain_requeued = Counter[str]()
            for value in DBTaskResult.objects.filter(task_path=SWEEP_TASK, status="SUCCESSFUL").values_list(
                "return_value", flat=True
            ):
                for number, what in re.findall(r"queued (\d+) (task|message)", str(value)):
                    chain_requeued[what] += int(number)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT task_path, status, count(*) FROM django_tasks_database_dbtaskresult"
                    " WHERE status IN ('READY', 'RUNNING') OR (status = 'FAILED')"
                    " GROUP BY task_path, status ORDER BY 1, 2"
                )
                tasks_left = [f"{path.rsplit('.', 1)[-1]} {state} {n}" for path, state, n in cursor.fetchall()]
            connection.close()
            time.sleep(6)  # every app process's cached count has expired
            count_on_page = public_count(port)
            tally = manage(env, "verify_tally")
            manage(env, "seal_ledger")
            audit = manage(env, "verify_audit")

            confirms_given_up = sum(
                outcome.confirm_finished and not outcome.confirm_acknowledged for outcome in load.outcomes.values()
            )

            def in_load(signers: list[Signer]) -> int:
                return sum(signer.index < SIGNERS for signer in signers)

            restart = chaos.restart
            first_sign_after = min(
                (
                    outcome.sign_acknowledged
                    for outcome in load.outcomes.values()
                    if outcome.sign_acknowledged is not None and outcome.sign_acknowledged > restart["began"]
                ),
                default=None,
            )
            answered = burst.latencies  # the requests that timed out count as 15 s
            failures = ", ".join(f"{what} {count}" for what, count in load.failures.most_common()) or "none"
            rows_out = [
                ("seed; load and crashes; drain", f"{SEED}; {load_seconds:.0f} s; {drained:.0f} s"),
                ("processes killed (SIGKILL)", ", ".join(f"{what} {n}" for what, n in chaos.kills.items())),
                (
                    "exited by themselves (started again)",
                    ", ".join(f"{what} {n}" for what, n in processes.exited_by_themselves.items()) or "none",
                ),
                (
                    "signers acknowledged (sign POST 200): load; overload phase",
                    f"{in_load(acknowledged)} of {SIGNERS}; {len(acknowledged) - in_load(acknowledged)} of "
                    f"{len(load.signers) - SIGNERS}",
                ),
                ("acknowledged signatures not in the database (goal 0)", str(len(lost_signatures))),
                ("acknowledged signatures without a mail (goal 0)", str(len(without_mail))),
                (
                    "mails received more often than queued (duplicates)",
                    f"{sum(duplicates.values())} to {len(duplicates)} address(es)",
                ),
                ("second mails asked for by a sign POST sent again", str(asked_again)),
                (
                    "signatures stored whose sign POST got no 200: load; overload phase",
                    f"{in_load(unacknowledged_stored)}; {len(unacknowledged_stored) - in_load(unacknowledged_stored)}",
                ),
                (
                    "confirmations acknowledged (302); given up by the client",
                    f"{len(confirmed_acks)}; {confirms_given_up}",
                ),
                ("acknowledged confirmations not counted (goal 0)", f"{len(missing_confirmations)} ({held} held)"),
                (
                    "public count",
                    f"{count_on_page}: {baseline} before + {confirmed_in_database - baseline} confirmed in the database"
                    + (" (agrees)" if count_on_page == confirmed_in_database else " (DISAGREES)"),
                ),
                ("verify_tally", f"exit {tally.returncode}: {(tally.stdout + tally.stderr).strip()[:120]}"),
                (
                    "verify_audit",
                    f"exit {audit.returncode}: {((audit.stdout + audit.stderr).strip().splitlines() or [''])[0][:120]}",
                ),
                (
                    "put back by the sweep: its chain; the benchmark's minute",
                    f"{chain_requeued['task']} task(s), {chain_requeued['message']} lost message(s) (chain ran "
                    f"{chain_runs} times); {sweeper.requeued} task(s), {sweeper.mails} lost message(s)",
                ),
                ("left: queued mail; tasks", f"{outbox_left}; {', '.join(tasks_left) or 'none'}"),
                (
                    "PostgreSQL restart: up; /healthz 200; first sign 200",
                    f"{restart['up'] - restart['began']:.1f} s; "
                    + (f"{restart['healthy'] - restart['began']:.1f} s; " if "healthy" in restart else "never; ")
                    + (f"{first_sign_after - restart['began']:.1f} s" if first_sign_after else "never"),
                ),
                ("client errors during the load (retried)", failures),
                ("5xx logged by the app servers, by path (exceptions)", logged_errors(log_path)),
                (
                    "overload: capacity; offered",
                    f"{burst.capacity:.1f} sign POSTs/s; {burst.rate:.1f}/s for {OVERLOAD_SECONDS:.0f} s",
                ),
                ("overload: answers", ", ".join(f"{status} {n}" for status, n in burst.statuses.most_common())),
                (
                    "overload: 503 with Retry-After",
                    f"{burst.unavailable_with_retry_after} of {burst.statuses['503']}",
                ),
                (
                    "overload: latency p50; p99; max; over 10 s",
                    f"{quantile(answered, 50):.2f} s; {quantile(answered, 99):.2f} s; "
                    f"{max(answered, default=0):.2f} s; {sum(latency > SLOW for latency in answered)}",
                ),
                (
                    "overload: statement page GET",
                    ", ".join(f"{status} {n}" for status, n in sorted(burst.page_statuses.items()))
                    + f"; max {max(burst.page_latencies, default=0):.2f} s",
                ),
            ]
            print("\nwhat was killed, when:")
            print("\n".join(chaos.events))
            print("\n| what | result |\n| --- | --- |")
            for what, result in rows_out:
                print(f"| {what} | {result} |")
            if duplicates:
                print(f"\nduplicates: {sorted(duplicates.items())[:10]}")
            if without_mail:
                print(f"acknowledged without a mail: {[s.email for s in without_mail[:10]]}")
            if missing_confirmations:
                print(f"confirmations not counted: {[s.email for s in missing_confirmations[:10]]}")
            lost = lost_signatures or without_mail or missing_confirmations
            return 1 if lost or tally.returncode or audit.returncode else 0
        except KeyboardInterrupt:
            print("\ninterrupted; stopping what this script started", file=sys.stderr)
            return 130
        finally:
            # A second Ctrl-C must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if nginx is not None:
                nginx.stop()
            if processes is not None:
                for process in processes.all():
                    stack.stop(process)
            if smtp is not None:
                smtp.stop()


if __name__ == "__main__":
    sys.exit(main())
