"""Size benchmark, run by hand on PostgreSQL: does the site stay as fast with millions of signatures?

Starts the site as production runs it (DEBUG off, gunicorn, collected static files) on
DATABASE_URL (an empty PostgreSQL database the caller creates and drops), with the demo data.
Then, for each size in BENCH_SIZES (confirmed signatures of the statement ``library-opening-hours``,
ascending; 0 is the demo's few), it grows the statement to that size and measures:

- each public page: one client's median time per request (``BENCH_SEQUENTIAL`` requests) and
  requests/s with ``wrk`` (``BENCH_CONNECTIONS`` connections for ``BENCH_SECONDS`` s), beside the
  server on the same 2 cores: the statement page, the signatories list's first page and a page
  half-way down the list (a signed cursor, as its "Older" links carry), the transparency page, the
  Atom feed, the API's counts and signatories (first and deep page);
- signing and confirming: ``BENCH_SIGNERS`` people one after another through gunicorn (GET the
  page, POST the form, POST the confirmation link computed in-process), median time per request;
- ``verify_tally``, ``verify_audit``, ``purge_expired`` (the daily run; nothing is due) as commands:
  time and peak resident memory;
- the streamed exports through gunicorn (the signed statement as CSV, JSON and PDF): time, bytes and
  the growth of the serving worker's peak memory; the sealed export (``export_signatures``);
- the size of the signature and ledger tables and of each of their indexes.

Rows are made by SQL, as fast as it goes: ``INSERT ... SELECT generate_series`` for the signatures
(names shown by four in five; ten countries), the counters raised by the same numbers per country,
and the ledger continued from its head: one ``signature.confirmed`` entry per row, hash-chained in
this process (the chain is sequential; SHA-256 in Python) and loaded with COPY, then a checkpoint
with the counts the log gives. So ``verify_tally`` and ``verify_audit`` agree, as with real signers.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_size"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_size BENCH_SIZES=0,1000000 \\
        scripts/uv run python benchmarks/size.py
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE bench_size"

Knobs: BENCH_SIZES (0,1000000), BENCH_WORKERS (4 gunicorn workers), BENCH_SECONDS (5),
BENCH_CONNECTIONS (8), BENCH_SEQUENTIAL (20), BENCH_SIGNERS (30), BENCH_EXPORTS (1; 0 skips the
signed statement's exports, which grow with the list by nature), BENCH_EXPORT_TIMEOUT (900 s),
BENCH_COMMAND_TIMEOUT (900 s for each command), BENCH_RESUME (1: the database is one an earlier
run grew and was stopped between sizes; carry on from its rows instead of loading the demo).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import csrf_secret, free_port, process_tree, production_environment, stop

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "0,1000000").split(",") if size.strip()]
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "20"))
SIGNERS = int(os.environ.get("BENCH_SIGNERS", "30"))
EXPORTS = os.environ.get("BENCH_EXPORTS", "1") == "1"
EXPORT_TIMEOUT = float(os.environ.get("BENCH_EXPORT_TIMEOUT", "900"))
COMMAND_TIMEOUT = float(os.environ.get("BENCH_COMMAND_TIMEOUT", "900"))
SLUG = "library-opening-hours"
STARTED_SALT = "undersigned.signatures.form-started"  # undersigned.signatures.forms._STARTED_SALT
COUNTRIES = ("FR", "DE", "KE", "BR", "IN", "US", "EG", "JP", "MX", "PH")
CHUNK = 1_000_000
SEAL_BATCH = 5000  # undersigned.ledger.services.SEAL_BATCH
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION_FIELD = re.compile(r'name="revision" value="(\d+)"')
WRK_RATE = re.compile(r"Requests/sec:\s*([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")


@dataclass
class Results:
    sizes: list[int] = field(default_factory=list)
    # row name -> size -> value shown
    rows: dict[str, dict[int, str]] = field(default_factory=dict)
    # row name -> size -> number compared with the 0-row speed (a time: lower is better)
    times: dict[str, dict[int, float]] = field(default_factory=dict)

    def put(self, name: str, size: int, shown: str, seconds: float | None = None) -> None:
        self.rows.setdefault(name, {})[size] = shown
        if seconds is not None:
            self.times.setdefault(name, {})[size] = seconds
        print(f"  {name}: {shown}", flush=True)


# --- Making rows -------------------------------------------------------------------------------


def _public_id(number: int) -> str:
    # Crockford's alphabet has every digit; "B" keeps them apart from the random ids of real signers.
    return f"B{number:015d}"


def grow(statement_id: int, revision_id: int, slug: str, base: datetime, start: int, end: int) -> float:
    """Adds confirmed signatures ``start`` … ``end - 1`` (their counters and ledger entries too)."""
    from django.db import connection

    from undersigned.ledger.models import Checkpoint

    began = time.monotonic()
    base_seconds = int(base.timestamp())
    countries = "ARRAY[" + ",".join(f"'{code}'" for code in COUNTRIES) + "]"
    for low in range(start, end, CHUNK):
        high = min(end, low + CHUNK) - 1
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO signatures_signature (
                    statement_id, revision_id, public_id, status, email_hash, country, name_shown,
                    display_name, wants_updates, sealed_contact, sealed_to, network_hash, proof_of_work,
                    language, mails_sent, signals, score, name_key, created_at, confirmed_at
                )
                SELECT %s, %s, 'B' || lpad(i::text, 15, '0'), 'confirmed',
                    md5('bench-address-' || i) || md5('bench-' || i),
                    ({countries})[i %% 10 + 1],
                    CASE WHEN i %% 5 = 0 THEN 'hidden' ELSE 'full' END,
                    CASE WHEN i %% 5 = 0 THEN '' ELSE 'Signer ' || i END,
                    false, ''::bytea, '', md5('bench-network-' || i) || md5('n' || i), false,
                    'en', 1, '[]'::jsonb, 0, '',
                    to_timestamp(%s) + (i - 60000) * interval '1 millisecond',
                    to_timestamp(%s) + i * interval '1 millisecond'
                FROM generate_series(%s, %s) AS i
                """,  # noqa: S608  (the one value formatted in is the constant list of countries)
                [statement_id, revision_id, base_seconds, base_seconds, low, high],
            )
        print(f"    signatures {low:,}…{high:,} inserted ({time.monotonic() - began:.0f} s)", flush=True)

    # The counters: every new row is confirmed, one country in ten each.
    added = dict.fromkeys(COUNTRIES, 0)
    for position, code in enumerate(COUNTRIES):
        first = start + (position - start) % 10
        added[code] = len(range(first, end, 10))
    with connection.cursor() as cursor:
        for code, number in added.items():
            if number:
                cursor.execute(
                    """
                    INSERT INTO signatures_tallyshard (statement_id, country, shard, confirmed)
                    VALUES (%s, %s, 0, %s)
                    ON CONFLICT (statement_id, country, shard)
                    DO UPDATE SET confirmed = signatures_tallyshard.confirmed + EXCLUDED.confirmed
                    """,
                    [statement_id, code, number],
                )

    # The ledger, continued from its head: sequential by nature (each hash takes the one before).
    head = Checkpoint.objects.filter(statement_id=statement_id).order_by("-seq").first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, "0" * 64)
    counts: dict[str, Any] = (
        head.counts
        if head
        else {
            "signatures": {"total": 0, "by_country": {}},
            "organisations": {"total": 0, "by_country": {}},
        }
    )
    slug_json = slug.replace("\\", "\\\\").replace('"', '\\"')
    signatures = counts["signatures"]
    by_country = signatures["by_country"]
    raw = connection.connection  # psycopg's own connection, for COPY
    for low in range(start, end, CHUNK):
        high = min(end, low + CHUNK)
        entries, heads = io.StringIO(), io.StringIO()
        prefix_second, prefix = -1, ""
        for number in range(low, high):
            second = base_seconds + number // 1000
            if second != prefix_second:
                prefix_second = second
                prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            at = f"{prefix}.{number % 1000:03d}000Z"
            seq += 1
            subject, country = _public_id(number), COUNTRIES[number % 10]
            # undersigned.ledger.chain.canonical_json of the entry: sorted keys, no spaces.
            body = (
                f'{{"at":"{at}","country":"{country}","detail":{{}},"kind":"signature.confirmed",'
                f'"seq":{seq},"statement":"{slug_json}","subject":"{subject}"}}'
            )
            digest = hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
            entries.write(
                f"{statement_id}\t{seq}\tsignature.confirmed\t{subject}\t{country}\t{{}}\t{at}\t{prev_hash}\t{digest}\n"
            )
            prev_hash = digest
            by_country[country] = by_country.get(country, 0) + 1
            signatures["total"] += 1
            # A head per SEAL_BATCH entries, as the sealer writes under a steady flow of signers:
            # the transparency page's charts read them.
            if number % SEAL_BATCH == SEAL_BATCH - 1 or number == end - 1:
                sealed_at = datetime.fromtimestamp(second + 1, UTC).isoformat()
                heads.write(f"{statement_id}\t{seq}\t{digest}\t{json.dumps(counts)}\t{sealed_at}\n")
        with raw.cursor() as cursor:
            with cursor.copy(
                "COPY ledger_ledgerentry (statement_id, seq, kind, subject, country, detail, at, prev_hash, hash) "
                "FROM STDIN"
            ) as copy:
                copy.write(entries.getvalue())
            with cursor.copy("COPY ledger_checkpoint (statement_id, seq, hash, counts, sealed_at) FROM STDIN") as copy:
                copy.write(heads.getvalue())
        if not raw.autocommit:
            raw.commit()
        took = time.monotonic() - began
        print(f"    ledger entries {low:,}…{high - 1:,} chained and copied ({took:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signatures_signature")
        cursor.execute("ANALYZE ledger_ledgerentry")
    connection.close()
    return time.monotonic() - began


# --- Requests ----------------------------------------------------------------------------------


def fetch(port: int, path: str, *, timeout: float = 60) -> tuple[int, bytes, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Accept-Language": "en"})
    response = connection.getresponse()
    content = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, content, elapsed


def measure_page(results: Results, size: int, port: int, name: str, path: str) -> None:
    for _ in range(2 * WORKERS):  # every worker has served it once: no first-request costs
        fetch(port, path)
    times = []
    status = 0
    for _ in range(SEQUENTIAL):
        status, _content, elapsed = fetch(port, path)
        times.append(elapsed)
    median = statistics.median(times)
    wrk = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "-H",
            "Accept-Language: en",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    rate = WRK_RATE.search(wrk.stdout)
    bad = WRK_BAD.search(wrk.stdout)
    shown = f"{median * 1000:.1f} ms, {float(rate.group(1)) if rate else 0:.0f} req/s"
    if status != 200 or bad:
        shown += f" (status {status}, {bad.group(1) if bad else 0} non-2xx)"
    results.put(name, size, shown, median)
    per_second = float(rate.group(1)) if rate else 0.0
    results.put(f"{name} req/s", size, f"{per_second:.0f}", 1 / per_second if per_second else None)


def sign_and_confirm(results: Results, size: int, port: int, statement_id: int) -> None:
    from django.core import signing
    from django.db import connection

    from undersigned.signatures.addresses import email_hash
    from undersigned.signatures.models import Signature
    from undersigned.signatures.tokens import SignatureRef, confirm_token

    steps: dict[str, list[float]] = {"page GET": [], "sign POST": [], "confirm POST": []}
    failures = 0
    for number in range(SIGNERS):
        index = size + number
        address = f"size-{size}-{number}@bench.example"
        network = f"10.{index // 256 % 256}.{index % 256}.1"  # a /24 of its own
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Accept-Language": "en", "X-Forwarded-For": network}
        started = time.perf_counter()
        client.request("GET", f"/statements/{SLUG}/", headers=headers)
        response = client.getresponse()
        content = response.read().decode()
        steps["page GET"].append(time.perf_counter() - started)
        cookies = "; ".join(
            value.split(";", 1)[0] for key, value in response.getheaders() if key.lower() == "set-cookie"
        )
        csrf, revision = CSRF_FIELD.search(content), REVISION_FIELD.search(content)
        if revision is None:
            failures += 1
            continue
        token_value = csrf.group(1) if csrf else csrf_secret()
        if csrf is None:
            cookies = "; ".join(part for part in (cookies, f"csrftoken={token_value}") if part)
        form_headers = {
            **headers,
            "Cookie": cookies,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{port}",
            "Referer": f"http://127.0.0.1:{port}/statements/{SLUG}/",
        }
        form = {
            "csrfmiddlewaretoken": token_value,
            "name": "Bench Signer " + "".join(chr(ord("a") + int(digit)) for digit in str(index)).title(),
            "email": address,
            "country": COUNTRIES[number % 10],
            "city": "",
            "affiliation": "",
            "name_shown": "full",
            "revision": revision.group(1),
            "started": signing.dumps(int(time.time()) - 10, salt=STARTED_SALT),
            "website": "",
        }
        started = time.perf_counter()
        client.request("POST", f"/statements/{SLUG}/sign/", body=urlencode(form), headers=form_headers)
        response = client.getresponse()
        response.read()
        steps["sign POST"].append(time.perf_counter() - started)
        signature_id = (
            Signature.objects.filter(statement_id=statement_id, email_hash=email_hash(address))
            .values_list("pk", flat=True)
            .first()
        )
        if response.status != 200 or signature_id is None:
            failures += 1
            continue
        token = confirm_token(SignatureRef(signature_id=signature_id, statement_id=statement_id))
        started = time.perf_counter()
        client.request(
            "POST",
            f"/signatures/confirm/{token}/",
            body=urlencode({"csrfmiddlewaretoken": token_value}),
            headers=form_headers,
        )
        response = client.getresponse()
        response.read()
        steps["confirm POST"].append(time.perf_counter() - started)
        if response.status != 302:
            failures += 1
        client.close()
    connection.close()
    for step, times in steps.items():
        median = statistics.median(times) if times else float("nan")
        shown = f"{median * 1000:.1f} ms" + (f" ({failures} failed)" if failures and step == "confirm POST" else "")
        results.put(step if step != "page GET" else "statement page GET (signer)", size, shown, median)


def peak_worker_kib(gunicorn_pid: int) -> dict[int, int]:
    peaks = {}
    for pid in process_tree(gunicorn_pid)[1:]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1])
        except OSError:
            continue
    return peaks


def measure_export(results: Results, size: int, port: int, gunicorn_pid: int, name: str, path: str) -> None:
    before = peak_worker_kib(gunicorn_pid)
    try:
        status, content, elapsed = fetch(port, path, timeout=EXPORT_TIMEOUT)
    except (OSError, http.client.HTTPException) as error:
        results.put(name, size, f"failed: {type(error).__name__}")
        return
    after = peak_worker_kib(gunicorn_pid)
    growth = max((after[pid] - before.get(pid, after[pid]) for pid in after), default=0)
    peak = max(after.values(), default=0)
    shown = f"{elapsed:.2f} s, {len(content) / 1e6:.1f} MB, worker peak {peak / 1024:.0f} MiB (+{growth / 1024:.0f})"
    if status != 200:
        shown += f" (status {status})"
    results.put(name, size, shown, elapsed)


# Runs manage.py and prints its own peak memory at exit: the rusage of a child forked from this
# process (which holds a million-line COPY buffer while growing) would report this process's peak.
_PEAK_WRAPPER = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('PEAK_KIB', line.split()[1], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "sys.argv = ['manage.py', *sys.argv[1:]]\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
)


def command(results: Results, size: int, env: dict[str, str], name: str, *arguments: str) -> None:
    started = time.perf_counter()
    try:
        process = subprocess.run(
            [sys.executable, "-c", _PEAK_WRAPPER, *arguments],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        results.put(name, size, f"> {COMMAND_TIMEOUT:.0f} s (stopped)", COMMAND_TIMEOUT)
        return
    elapsed = time.perf_counter() - started
    peak = re.search(r"PEAK_KIB (\d+)", process.stderr)
    shown = f"{elapsed:.2f} s, peak {int(peak.group(1)) / 1024 if peak else 0:.0f} MiB"
    if process.returncode:
        output = (process.stdout + process.stderr).replace(peak.group(0) if peak else "", "").strip()
        shown += f" (exit {process.returncode}: {output.splitlines()[-1][:80] if output else ''})"
    results.put(name, size, shown, elapsed)


def table_sizes(results: Results, size: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("signatures_signature", "ledger_ledgerentry"):
            cursor.execute(
                "SELECT pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_indexes_size(%s))", [table, table]
            )
            heap, indexes = cursor.fetchone()
            results.put(f"{table} table / indexes", size, f"{heap} / {indexes}")
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid))
            FROM pg_index WHERE indrelid = 'signatures_signature'::regclass ORDER BY 1
            """
        )
        for index, pretty in cursor.fetchall():
            results.put(f"  index {index}", size, pretty)
    connection.close()


def deep_cursors(statement_id: int, listed: int) -> tuple[str, str]:
    """Cursors half-way down the list, as the page's "Older" link and the API's next_cursor carry."""
    from django.core import signing

    from undersigned.api.cursors import _salt
    from undersigned.signatures.models import Signature
    from undersigned.signatures.selectors import public_signatures
    from undersigned.signatures.views import SIGNER_LIST_CURSOR

    middle = Signature.objects.filter(public_id=_public_id(max(listed // 2, 1))).first()
    if middle is None:  # a small list: its oldest listed row
        middle = public_signatures(statement_id=statement_id).last()
    if middle is None or middle.confirmed_at is None:
        return "", ""
    key = [middle.confirmed_at.isoformat(), middle.pk]
    page = signing.dumps(key, salt=_salt(SIGNER_LIST_CURSOR % statement_id))
    api = signing.dumps(key, salt=_salt(f"signatories.{statement_id}"))
    return page, api


def measure(results: Results, size: int, port: int, gunicorn_pid: int, env: dict[str, str], statement_id: int) -> None:
    from urllib.parse import quote

    page_cursor, api_cursor = deep_cursors(statement_id, size)
    pages = [
        ("statement page", f"/statements/{SLUG}/"),
        ("signatories, first page", f"/statements/{SLUG}/signatures/"),
        ("signatories, half-way", f"/statements/{SLUG}/signatures/?older={quote(page_cursor)}"),
        ("transparency page", f"/statements/{SLUG}/transparency/"),
        ("statement index", "/statements/"),
        ("feed (Atom)", "/feeds/all/en.atom"),
        ("API counts", f"/api/v1/statements/{SLUG}/counts"),
        ("API signatories, first", f"/api/v1/statements/{SLUG}/signatories"),
        ("API signatories, half-way", f"/api/v1/statements/{SLUG}/signatories?cursor={quote(api_cursor)}"),
        ("API sign-ons", f"/api/v1/statements/{SLUG}/sign-ons"),
    ]
    for name, path in pages:
        measure_page(results, size, port, name, path)
    sign_and_confirm(results, size, port, statement_id)
    subprocess.run([sys.executable, "manage.py", "seal_ledger"], cwd=ROOT, env=env, check=True, capture_output=True)
    command(results, size, env, "verify_tally", "verify_tally")
    command(results, size, env, "verify_audit", "verify_audit")
    command(results, size, env, "purge_expired (nothing due)", "purge_expired")
    if EXPORTS:
        for kind in ("csv", "json", "pdf"):
            path = f"/statements/{SLUG}/signed-statement.{kind}"
            measure_export(results, size, port, gunicorn_pid, f"signed statement .{kind}", path)
        with tempfile.TemporaryDirectory(prefix="undersigned-bench-size-export-") as directory:
            command(
                results,
                size,
                env,
                "sealed export (export_signatures)",
                "export_signatures",
                "--statement",
                SLUG,
                "--output",
                str(Path(directory) / "export.zip"),
            )
    table_sizes(results, size)


def print_table(results: Results) -> None:
    width = max(len(name) for name in results.rows) + 2
    columns = [f"{size:,} rows" for size in results.sizes]
    column_width = max(24, *(len(value) for row in results.rows.values() for value in row.values())) + 2
    print("\n" + "".ljust(width) + "".join(column.ljust(column_width) for column in columns) + "vs 0 rows")
    for name, values in results.rows.items():
        line = name.ljust(width) + "".join(values.get(size, "").ljust(column_width) for size in results.sizes)
        times = results.times.get(name, {})
        if 0 in times and len(times) > 1 and times[0] > 0:
            largest = max(size for size in times)
            ratio = times[largest] / times[0]
            line += f"×{ratio:.2f}" + ("" if ratio <= 1.2 else "  NOT FLAT")
        print(line.rstrip())


def wait_until_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            if fetch(port, "/healthz", timeout=5)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, interrupted)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("benchmarks/size.py runs on PostgreSQL only: set DATABASE_URL to an empty database")
    if SIZES != sorted(SIZES):
        raise SystemExit("BENCH_SIZES must be ascending: each size grows the statement from the one before")
    results = Results(sizes=SIZES)
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-size-") as directory:
        env = production_environment(Path(directory), TRUSTED_PROXIES="127.0.0.1")
        env.pop("REDIS_URL", None)
        if os.environ.get("BENCH_REDIS_URL"):
            env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        manage = [sys.executable, "manage.py"]
        resuming = os.environ.get("BENCH_RESUME") == "1"
        for arguments in (
            ["migrate", "--no-input", "-v", "0"],
            *([] if resuming else [["load_demo", "--allow-production"]]),
            ["collectstatic", "--no-input", "-v", "0"],
            ["seal_ledger"],
        ):
            subprocess.run([*manage, *arguments], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        from undersigned.signatures.models import Signature
        from undersigned.statements.models import Statement

        statement = Statement.objects.get(slug=SLUG)
        revision_id = statement.texts.get(language="en").published_revision_id
        if revision_id is None:
            raise SystemExit(f"{SLUG} has no published English text")
        connection.close()
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)

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
            "--timeout",
            str(int(EXPORT_TIMEOUT) + 60),
            "--log-level",
            "warning",
        ]
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
        try:
            wait_until_ready(port, server)
            print(f"PostgreSQL, gunicorn with {WORKERS} sync workers, wrk -c{CONNECTIONS} {SECONDS} s per page")
            # BENCH_RESUME=1: the database is one an earlier run grew (and was stopped); carry on from it.
            made = (
                Signature.objects.filter(
                    statement_id=statement.pk, public_id__startswith="B", public_id__regex=r"^B[0-9]{15}$"
                ).count()
                if resuming
                else 0
            )
            connection.close()
            for size in SIZES:
                if size > made:
                    print(f"\ngrowing {SLUG} to {size:,} confirmed signatures …", flush=True)
                    took = grow(statement.pk, revision_id, SLUG, base, made, size)
                    results.put("rows made (s)", size, f"{took:.0f} s for {size - made:,}")
                    made = size
                print(f"\nmeasuring at {size:,} …", flush=True)
                time.sleep(1)
                measure(results, size, port, server.pid, env, statement.pk)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            stop(server)
    print_table(results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the server is stopped", file=sys.stderr)
        sys.exit(130)
