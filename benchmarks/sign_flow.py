"""Sign-flow benchmark, run by hand; its numbers go into the README and the closing note of issue 5.

Starts the site as production runs it (DEBUG off, gunicorn, collected static files, one
``manage.py db_worker`` beside it) on a throwaway SQLite database with the demo data, or on
DATABASE_URL when set (PostgreSQL: the caller creates an empty database and drops it afterwards).
Mail goes out over real SMTP to a server on loopback that this script runs (aiosmtpd).

BENCH_CONCURRENCY clients then sign the statement ``library-opening-hours`` as BENCH_SIGNERS
different people, each through the HTTP flow a browser without JavaScript follows:

1. GET the statement page, keeping the hidden ``revision`` (the page is the same for everyone: no
   CSRF token; the sign POST is checked by ``Sec-Fetch-Site``/``Origin``, sent as a browser does);
2. POST the sign form to /statements/<slug>/sign/ from an address in its own /24 (X-Forwarded-For,
   believed because the server trusts 127.0.0.1 as its proxy), so the per-network rate limits see
   one person per network, as they would in the field;
3. POST the confirmation link /signatures/confirm/<token>/.

The form's minimum fill time (3 s) is met with a ``started`` token dated ten seconds back, signed
in-process with the SECRET_KEY this script gives the server, rather than by waiting.

Phases (BENCH_TOKENS, in this order; both by default), each with BENCH_SIGNERS new signers:

- ``mail``: the link is read from the mail the SMTP server received. The whole real flow: the
  worker's delivery rate is part of the end-to-end figure.
- ``computed``: the link is computed in-process (the signature found by its email hash through the
  ORM), so the figure is what the web server sustains; the worker still sends every mail meanwhile.

Prints per phase: confirmed signatures per second end to end (from the phase's start to its last
confirmation); for each step requests per second (over the span from its first request to its
last), p50/p95/p99 latency of the answered requests and errors (no answer, or not 2xx/3xx); the
mail delivery rate and delay; where the CPU went, and how much of it one confirmed signature costs;
the resident memory of the server processes. At the end it runs ``manage.py verify_tally`` and
checks that the count on the statement page equals the confirmations that succeeded; the exit
status is non-zero if either fails.

    scripts/uv run python benchmarks/sign_flow.py                        # SQLite
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_sign"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sign scripts/uv run python benchmarks/sign_flow.py
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE bench_sign"

With BENCH_NGINX=1 the clients talk to nginx (scripts/stack.py's helpers and
deploy/nginx/undersigned.conf, the file `make stack` runs) in front of the same gunicorn: the
statement page comes from nginx's cache as a visitor of a busy statement gets it, and the POSTs pass
through. Its CPU is reported beside the others.

Knobs: BENCH_SIGNERS (2000 per phase), BENCH_CONCURRENCY (16), BENCH_WORKERS (4 gunicorn workers),
BENCH_THREADS (1: sync workers; more: gthread workers with that many threads), BENCH_DB_WORKERS
(1: how many ``manage.py db_worker`` processes send the mail), BENCH_TOKENS
(mail,computed), BENCH_MAIL_TIMEOUT (60 s without a new mail before giving up on the rest).
"""

from __future__ import annotations

import email
import email.policy
import http.client
import importlib
import os
import queue
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
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from common import csrf_secret, free_port, process_tree, production_environment, resident_memory_mib, stop

ROOT = Path(__file__).resolve().parent.parent
SIGNERS = int(os.environ.get("BENCH_SIGNERS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
# Sync workers by default. Measured on the 2-core machine, 2000 signers per phase, 16 clients:
# PostgreSQL: 4 sync workers 29.6-29.7 confirmed signatures/s, gthread 2 workers × 4 threads
# 30.1-33.5/s, the same within run-to-run noise, with 1.3-1.8 times the p95/p99 latency (but
# 290 MiB resident instead of 460: fewer processes).
# SQLite: 4 sync 33/s, 6 sync 35.7/s, gthread 2 × 4 31.6-33.9/s with sign POST p99 1 s instead of
# 0.6-0.75 s (4 × 4 threads, 800 signers: no faster, sign POST p99 1.9 s). Threads cannot help:
# every request is CPU-bound Python (template rendering, forms, ORM) on 2 saturated cores, so a
# worker's threads only take turns on its GIL, and on SQLite they queue more writers on its one
# write lock.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
DB_WORKERS = int(os.environ.get("BENCH_DB_WORKERS", "1"))
VIA_NGINX = os.environ.get("BENCH_NGINX", "") not in {"", "0", "false"}
PHASES = [phase.strip() for phase in os.environ.get("BENCH_TOKENS", "mail,computed").split(",") if phase.strip()]
MAIL_TIMEOUT = float(os.environ.get("BENCH_MAIL_TIMEOUT", "60"))
SLUG = "library-opening-hours"
STARTED_SALT = "undersigned.signatures.form-started"  # undersigned.signatures.forms._STARTED_SALT
COUNTRIES = ("FR", "DE", "KE", "BR", "IN", "US", "EG", "JP", "MX", "PH")
NAMES_SHOWN = ("full", "initial", "hidden")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION_FIELD = re.compile(r'name="revision" value="(\d+)"')
TALLY_NUMBER = re.compile(r'class="tally__number">([^<]*)<')
CONFIRM_LINK = re.compile(r"/signatures/confirm/([A-Za-z0-9_:\-]+)/")
STEPS = ("page GET", "sign POST", "confirm POST")


def environment(var_dir: Path, smtp_port: int) -> dict[str, str]:
    env = production_environment(var_dir, TRUSTED_PROXIES="127.0.0.1", EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}")
    # Without BENCH_REDIS_URL, rate limits and the tally cache live as a site without Redis has them;
    # with it, as a busy site runs them (REDIS_URL=BENCH_REDIS_URL).
    env.pop("REDIS_URL", None)
    # Thousands of signers a minute are what turns on the proof of work for a statement (a surge):
    # the benchmark measures the server's signing path, not the clients solving puzzles.
    env["PROOF_OF_WORK_SURGE"] = "1000000000"
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


# --- Processes: memory and CPU from /proc --------------------------------------------------------


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system time of each of ``pids`` (all its threads) so far."""
    seconds = {}
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[one] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return seconds


def machine_cpu_seconds() -> float:
    """Busy time of all cores together, from the first line of /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (pooled, so they last)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []  # SQLite runs inside the gunicorn and db_worker processes
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            return [int(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()


@dataclass
class Servers:
    gunicorn: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    nginx: subprocess.Popen[bytes] | None = None

    def cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far, per process, of each group of processes; ``machine`` is all cores' busy time."""
        return {
            "gunicorn": cpu_seconds(process_tree(self.gunicorn.pid)),
            "db_worker": cpu_seconds([worker.pid for worker in self.workers]),
            "database": cpu_seconds(database_backends()),
            "benchmark": cpu_seconds([os.getpid()]),
            "nginx": cpu_seconds(process_tree(self.nginx.pid)) if self.nginx else {},
            "machine": {0: machine_cpu_seconds()},
        }

    def memory(self) -> tuple[float, float, int]:
        gunicorn = process_tree(self.gunicorn.pid)
        return (
            resident_memory_mib(gunicorn),
            resident_memory_mib([worker.pid for worker in self.workers]),
            len(gunicorn),
        )


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds each group used in between; a process that started in between counts from zero."""
    return {
        group: sum(seconds - before[group].get(pid, 0.0) for pid, seconds in after[group].items()) for group in after
    }


# --- Signers, steps and phases -------------------------------------------------------------------


@dataclass
class Signer:
    index: int
    email: str
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    signed_at: float = 0.0
    confirm_queued: bool = False

    def headers(self, port: int, form: bool = False) -> dict[str, str]:
        headers = {"Accept-Language": "en", "X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # What a browser sends with a form of the same site (nginx passes Host without the port,
            # so the Origin's port would not match it).
            headers["Sec-Fetch-Site"] = "same-origin"
            headers["Origin"] = "http://127.0.0.1" if VIA_NGINX else f"http://127.0.0.1:{port}"
        return headers

    def keep_cookies(self, response: http.client.HTTPMessage) -> None:
        from http.cookies import SimpleCookie

        for header in response.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})


class Step:
    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies: list[float] = []
        self.failures: Counter[str] = Counter()
        self.first = float("inf")
        self.last = 0.0
        self.lock = threading.Lock()

    def record(self, started: float, ended: float, failure: str | None = None) -> None:
        with self.lock:
            if failure is None:
                self.latencies.append(ended - started)
            else:
                self.failures[failure] += 1
            self.first, self.last = min(self.first, started), max(self.last, ended)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def line(self) -> str:
        count = len(self.latencies) + self.errors
        window = self.last - self.first if count else 0.0
        quantiles = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0.0] * 99
        failures = ", ".join(f"{reason}×{number}" for reason, number in self.failures.most_common(3))
        return (
            f"  {self.name:<13} {count:>8} {count / window if window else 0:>8.0f} {quantiles[49] * 1000:>8.1f} "
            f"{quantiles[94] * 1000:>8.1f} {quantiles[98] * 1000:>8.1f} {self.errors:>7}"
            + (f"  ({failures})" if failures else "")
        )


class Phase:
    """BENCH_SIGNERS new signers; ``mode`` says where their confirmation links come from."""

    def __init__(self, mode: str, first_index: int, run_tag: str) -> None:
        self.mode = mode
        self.signers = [
            Signer(
                index=index,
                email=f"signer{index}.{run_tag}@example.org",
                # One /24 per signer: 10.0.0.1, 10.0.1.1 … 10.255.255.1, then 11.…
                address=f"{10 + index // 65536}.{index // 256 % 256}.{index % 256}.1",
            )
            for index in range(first_index, first_index + SIGNERS)
        ]
        self.steps = {name: Step(name) for name in STEPS}
        self.ready: queue.Queue[tuple[Signer, str]] = queue.Queue()
        self.lock = threading.Lock()
        self.taken = 0
        self.sign_finished = 0
        self.signed = 0
        self.confirm_attempts = 0
        self.confirmed = 0
        self.mails = 0
        self.mail_latencies: list[float] = []
        self.first_mail = float("inf")
        self.last_mail = 0.0
        self.started = 0.0
        self.last_confirmed = 0.0
        self.last_progress = time.monotonic()

    # Called by the SMTP server's thread.
    def mail_arrived(self, signer: Signer, token: str | None, arrived: float) -> None:
        with self.lock:
            self.mails += 1
            self.first_mail, self.last_mail = min(self.first_mail, arrived), max(self.last_mail, arrived)
            if signer.signed_at:
                self.mail_latencies.append(arrived - signer.signed_at)
            self.last_progress = time.monotonic()
            queue_it = self.mode == "mail" and token is not None and not signer.confirm_queued
            signer.confirm_queued = signer.confirm_queued or queue_it
        if queue_it and token is not None:
            self.ready.put((signer, token))

    def next_work(self) -> tuple[Signer, str | None] | None:
        """A confirmation whose mail has come, else a new signer, else wait for mails; None when done."""
        try:
            return self.ready.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            if self.taken < len(self.signers):
                self.taken += 1
                return self.signers[self.taken - 1], None
        if self.mode != "mail":
            return None
        while True:
            with self.lock:
                done = self.sign_finished == len(self.signers) and self.confirm_attempts >= self.signed
                stalled = time.monotonic() - self.last_progress > MAIL_TIMEOUT
            if (done and self.ready.empty()) or stalled:
                return None
            try:
                return self.ready.get(timeout=0.2)
            except queue.Empty:
                continue


class Connection:
    """One client's keep-alive connection to the server; the signer brings the cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, http.client.HTTPMessage, str]:
        for attempt in (1, 2):
            reused = self.connection is not None and self.connection.sock is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read().decode("utf-8", "replace")
                return response.status, response.msg, content
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                # A kept-alive connection the server closed while idle: try once on a fresh one.
                if not reused or attempt == 2:
                    raise
        raise AssertionError("unreachable")


def timed(
    step: Step, connection: Connection, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, http.client.HTTPMessage, str] | None:
    started = time.perf_counter()
    try:
        status, message, content = connection.request(method, path, headers, body)
    except (OSError, http.client.HTTPException) as error:
        step.record(started, time.perf_counter(), type(error).__name__)
        return None
    ended = time.perf_counter()
    step.record(started, ended, None if 200 <= status < 400 else str(status))
    return status, message, content


def sign_form(signer: Signer, content: str) -> dict[str, str] | None:
    """The sign form's fields for ``signer``, from the statement page's HTML; None if it has no form."""
    from django.core import signing

    # The public page carries no CSRF token (it is the same for everyone, so cacheable);
    # cross-site POSTs are refused by Sec-Fetch-Site/Origin instead.
    csrf, revision = CSRF_FIELD.search(content), REVISION_FIELD.search(content)
    if revision is None:
        return None
    if csrf:
        signer.csrf = csrf.group(1)
    else:
        signer.csrf = csrf_secret()
        signer.cookies["csrftoken"] = signer.csrf
    form = {
        "csrfmiddlewaretoken": signer.csrf,
        # Different people have different names: the same name many times is a fraud signal.
        "name": "Bench Signer " + "".join(chr(ord("a") + int(digit)) for digit in str(signer.index)).title(),
        "email": signer.email,
        "country": COUNTRIES[signer.index % len(COUNTRIES)],
        "city": "",
        "affiliation": "",
        "name_shown": NAMES_SHOWN[signer.index % len(NAMES_SHOWN)],
        "revision": revision.group(1),
        "started": signing.dumps(int(time.time()) - 10, salt=STARTED_SALT),
        "website": "",
    }
    return form


def sign(phase: Phase, connection: Connection, signer: Signer, mailbox: Mailbox, statement_id: int) -> None:
    port = connection.port
    try:
        answer = timed(phase.steps["page GET"], connection, "GET", f"/statements/{SLUG}/", signer.headers(port))
        if answer is None or answer[0] != 200:
            return
        _, message, content = answer
        signer.keep_cookies(message)
        form = sign_form(signer, content)
        if form is None:
            phase.steps["page GET"].failures["no sign form"] += 1
            return
        mailbox.expect(phase, signer)
        answer = timed(
            phase.steps["sign POST"],
            connection,
            "POST",
            f"/statements/{SLUG}/sign/",
            signer.headers(port, form=True),
            urlencode(form),
        )
        if answer is None or answer[0] != 200:
            return
        signer.signed_at = time.perf_counter()
        with phase.lock:
            phase.signed += 1
    finally:
        with phase.lock:
            phase.sign_finished += 1
            phase.last_progress = time.monotonic()
    if phase.mode == "computed":
        token = computed_token(signer, statement_id)
        if token is None:
            phase.steps["confirm POST"].failures["no signature row"] += 1
            return
        confirm(phase, connection, signer, token)


def computed_token(signer: Signer, statement_id: int) -> str | None:
    from django.db import connection

    from undersigned.signatures.addresses import email_hash
    from undersigned.signatures.models import Signature
    from undersigned.signatures.tokens import SignatureRef, confirm_token

    try:
        signature_id = (
            Signature.objects.filter(statement_id=statement_id, email_hash=email_hash(signer.email))
            .values_list("pk", flat=True)
            .first()
        )
    finally:
        connection.close()  # back to the pool (PostgreSQL): the client threads outnumber its connections
    if signature_id is None:
        return None
    return confirm_token(SignatureRef(signature_id=signature_id, statement_id=statement_id))


def confirm(phase: Phase, connection: Connection, signer: Signer, token: str) -> None:
    with phase.lock:
        phase.confirm_attempts += 1
    answer = timed(
        phase.steps["confirm POST"],
        connection,
        "POST",
        f"/signatures/confirm/{token}/",
        signer.headers(connection.port, form=True),
        urlencode({"csrfmiddlewaretoken": signer.csrf}),
    )
    with phase.lock:
        phase.last_progress = time.monotonic()
        if answer is not None and answer[0] == 302:  # to the thank-you page: confirmed
            phase.confirmed += 1
            phase.last_confirmed = time.perf_counter()


# --- Mail ------------------------------------------------------------------------------------------


class Mailbox:
    """The SMTP server's handler: finds each mail's signer and confirmation link."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.expected: dict[str, tuple[Phase, Signer]] = {}
        self.received = 0
        self.without_link = 0
        self.strangers = 0

    def expect(self, phase: Phase, signer: Signer) -> None:
        with self.lock:
            self.expected[signer.email] = (phase, signer)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        arrived = time.perf_counter()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        link = CONFIRM_LINK.search(text)
        for recipient in envelope.rcpt_tos:
            with self.lock:
                self.received += 1
                self.without_link += link is None
                known = self.expected.get(recipient.lower())
                self.strangers += known is None
            if known is not None:
                known[0].mail_arrived(known[1], link.group(1) if link else None, arrived)
        return "250 Message accepted for delivery"


# --- The run ---------------------------------------------------------------------------------------


def run_phase(phase: Phase, port: int, servers: Servers, mailbox: Mailbox, statement_id: int) -> None:
    def client() -> None:
        connection = Connection(port)
        while (work := phase.next_work()) is not None:
            signer, token = work
            if token is None:
                sign(phase, connection, signer, mailbox, statement_id)
            else:
                confirm(phase, connection, signer, token)

    cpu_before = servers.cpu()
    phase.started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            # Short waits: a signal caught by another thread is handled only when this one wakes up.
            thread.join(0.5)
    elapsed = (phase.last_confirmed or time.perf_counter()) - phase.started
    cpu_after = servers.cpu()
    gunicorn_mib, worker_mib, gunicorn_processes = servers.memory()

    title = {"mail": "confirmation links read from the mails", "computed": "confirmation links computed in-process"}
    print(f"\nphase '{phase.mode}': {title[phase.mode]}")
    print(
        f"  {phase.confirmed} of {len(phase.signers)} signers confirmed in {elapsed:.1f} s: "
        f"{phase.confirmed / elapsed if elapsed else 0:.1f} confirmed signatures/s end to end"
    )
    print(f"  {'step':<13} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for step in phase.steps.values():
        print(step.line())
    wall = time.perf_counter() - phase.started
    used = cpu_used(cpu_before, cpu_after)
    ours = ("gunicorn", "db_worker", "database", "nginx", "benchmark")
    others = max(used["machine"] - sum(used[group] for group in ours), 0.0)
    print(
        f"  CPU, cores busy on average over {wall:.1f} s: gunicorn {used['gunicorn'] / wall:.2f}, "
        f"db_worker {used['db_worker'] / wall:.2f}, "
        + (f"PostgreSQL {used['database'] / wall:.2f}, " if cpu_after["database"] else "")
        + (f"nginx {used['nginx'] / wall:.2f}, " if cpu_after["nginx"] else "")
        + f"this script (clients, SMTP) {used['benchmark'] / wall:.2f}, everything else on the machine "
        f"{others / wall:.2f}; all {used['machine'] / wall:.2f} of {os.cpu_count()}"
    )
    if phase.confirmed:
        server = used["gunicorn"] + used["db_worker"] + used["database"]
        print(
            "  CPU per confirmed signature: "
            + ", ".join(f"{group} {used[group] / phase.confirmed * 1000:.1f} ms" for group in ours if cpu_after[group])
            + f"; the server side alone ({server / phase.confirmed * 1000:.1f} ms) would top out near "
            f"{(os.cpu_count() or 1) * phase.confirmed / server if server else 0:.0f}/s on all {os.cpu_count()} cores"
        )
    print(
        f"  server resident memory: {gunicorn_mib + worker_mib:.0f} MiB (gunicorn {gunicorn_mib:.0f} MiB in "
        f"{gunicorn_processes} processes, db_worker {worker_mib:.0f} MiB)"
    )


def wait_for_mails(phase: Phase) -> None:
    """Until every signer who signed has had a mail, or none came for MAIL_TIMEOUT seconds."""
    while True:
        with phase.lock:
            done = phase.mails >= phase.signed
            stalled = time.monotonic() - phase.last_progress > MAIL_TIMEOUT
        if done or stalled:
            break
        time.sleep(0.2)
    window = phase.last_mail - phase.first_mail
    latencies = phase.mail_latencies
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"  mails: {phase.mails} received for {phase.signed} signatures, delivered at "
        f"{phase.mails / window if window > 0 else 0:.1f}/s; from the sign answer to the mail p50 "
        f"{quantiles[49]:.1f} s, p95 {quantiles[94]:.1f} s, max {max(latencies, default=0):.1f} s"
    )


def public_counts(port: int) -> list[int]:
    """The count on the statement page, as a few requests (so several workers) show it."""
    connection = Connection(port)
    counts = []
    for _ in range(2 * WORKERS):
        status, _, content = connection.request("GET", f"/statements/{SLUG}/", {"Accept-Language": "en"})
        number = TALLY_NUMBER.search(content)
        if status != 200 or number is None:
            raise RuntimeError(f"the statement page answered {status} without a count")
        counts.append(int(re.sub(r"\D", "", number.group(1)) or 0))
    return counts


def wait_until_ready(port: int, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with status {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main() -> int:
    signal.signal(signal.SIGTERM, interrupted)
    unknown = set(PHASES) - {"mail", "computed"}
    if unknown or not PHASES:
        raise SystemExit(f"BENCH_TOKENS lists mail and/or computed, not {sorted(unknown)}")
    from aiosmtpd.controller import Controller

    with tempfile.TemporaryDirectory(prefix="undersigned-bench-sign-") as directory:
        smtp_port = free_port()
        env = environment(Path(directory), smtp_port)
        manage = [sys.executable, "manage.py"]
        for command in (
            ["migrate", "--no-input", "-v", "0"],
            ["load_demo", "--allow-production"],
            ["collectstatic", "--no-input", "-v", "0"],
        ):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

        # This process signs the forms' ``started`` tokens and, in the computed phase, the links:
        # the same settings as the server, so the same SECRET_KEY, DATA_KEYS and database.
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        from undersigned.signatures.tallies import CACHE_SECONDS
        from undersigned.statements.models import Statement

        statement_id = Statement.objects.values_list("pk", flat=True).get(slug=SLUG)
        connection.close()

        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        port = free_port()
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ]
        if THREADS > 1:
            gunicorn += ["--worker-class", "gthread", "--threads", str(THREADS)]
        processes: list[subprocess.Popen[bytes]] = []
        smtp_started = False
        try:
            smtp.start()
            smtp_started = True
            processes.append(subprocess.Popen(gunicorn, cwd=ROOT, env=env))
            for _ in range(DB_WORKERS):
                processes.append(
                    subprocess.Popen([*manage, "db_worker", "--no-reload", "--verbosity", "0"], cwd=ROOT, env=env)
                )
            servers = Servers(gunicorn=processes[0], workers=processes[1:])
            wait_until_ready(port, processes)
            baseline = public_counts(port)[0]
            client_port = port
            if VIA_NGINX:
                sys.path.insert(0, str(ROOT / "scripts"))
                stack: Any = importlib.import_module("stack")  # scripts/stack.py: the nginx of `make stack`

                Path(directory).chmod(0o755)  # nginx's workers (nobody, when run as root) read the static files
                client_port = free_port()
                site = stack.site_conf(
                    listen=f"127.0.0.1:{client_port}",
                    app_ports=[port],
                    static_root=Path(directory) / "static",
                    cache_path=Path(directory) / "nginx" / "cache",
                    server_name="127.0.0.1",
                )
                nginx = stack.Nginx(Path(directory) / "nginx", site, client_port, processes=1)
                servers.nginx = nginx.process
                processes.append(nginx.process)
                wait_until_ready(client_port, processes)

            database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
            kind = f"gthread workers × {THREADS} threads" if THREADS > 1 else "sync workers"
            print(
                f"{database}, {'nginx (1 worker, its cache) in front of ' if VIA_NGINX else ''}"
                f"gunicorn with {WORKERS} {kind}, {DB_WORKERS} db_worker(s), SMTP on loopback, "
                f"{CONCURRENCY} clients, {SIGNERS} signers per phase, statement {SLUG}"
            )
            run_tag = secrets.token_hex(3)
            phases = []
            for number, mode in enumerate(PHASES):
                phase = Phase(mode, number * SIGNERS, run_tag)
                phases.append(phase)
                run_phase(phase, client_port, servers, mailbox, statement_id)
                wait_for_mails(phase)

            signed = sum(phase.signed for phase in phases)
            confirmed = sum(phase.confirmed for phase in phases)
            print(
                f"\nmails received: {mailbox.received} for {signed} signatures "
                f"({mailbox.without_link} without a confirmation link, {mailbox.strangers} to unknown addresses)"
            )
            tally = subprocess.run(
                [*manage, "verify_tally"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            print(f"verify_tally (exit {tally.returncode}): {(tally.stdout + tally.stderr).strip()}")
            # The worker seals the ledger a few seconds after the last change; the command does the rest now.
            subprocess.run([*manage, "seal_ledger"], cwd=ROOT, env=env, capture_output=True, check=True)
            audit = subprocess.run(
                [*manage, "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            print(f"verify_audit (exit {audit.returncode}): {(audit.stdout + audit.stderr).strip().splitlines()[0]}")
            time.sleep(CACHE_SECONDS + 1)  # every worker's cached count has expired
            counts = sorted(set(public_counts(port)))
            expected = baseline + confirmed
            agrees = counts == [expected]
            print(
                f"public count on the statement page: {', '.join(map(str, counts))}; "
                f"{baseline} before + {confirmed} confirmations that succeeded = {expected}: "
                + ("agrees" if agrees else "DISAGREES")
            )
            return 0 if agrees and tally.returncode == 0 and audit.returncode == 0 else 1
        finally:
            # A second Ctrl-C (uv passes one on, the terminal sends another) must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for process in reversed(processes):
                stop(process)
            if smtp_started:
                smtp.stop()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the server processes are stopped and the temporary directory removed", file=sys.stderr)
        sys.exit(130)
