"""Does PgBouncer belong in front of PostgreSQL? The sign flow with and without it, alternated.

Runs ``benchmarks/sign_flow.py`` (computed links: what the web tier sustains) against DATABASE_URL
directly and through a PgBouncer in transaction mode started here on a free loopback port, in
alternating order (A B B A A B …, so a drift in the shared machine's load hits both alike), and
prints each run and the medians: confirmed signatures/s, p99 of the sign and confirm POSTs, CPU per
confirmed signature in gunicorn and PostgreSQL, and PgBouncer's own. The decision is in
docs/decisions/0009-pgbouncer.md.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_pgbouncer"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pgbouncer scripts/uv run python benchmarks/pgbouncer.py
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE bench_pgbouncer"

Each run starts on a fresh database (dropped and created again: the URL's database is the
benchmark's). Knobs: BENCH_ROUNDS (3 runs of each), and sign_flow.py's own (BENCH_SIGNERS defaults to 300 here).
Needs ``pgbouncer`` (Debian: apt-get install pgbouncer); the app's psycopg pool stays on in both.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import free_port

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def pgbouncer(database_url: str) -> Iterator[tuple[str, int]]:
    """PgBouncer in transaction mode in front of the URL's server: its URL and its process id."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise SystemExit("pgbouncer is missing; run: sudo apt-get install -y pgbouncer")
    parts = urlsplit(database_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="undersigned-pgbouncer-") as directory:
        workdir = Path(directory)
        (workdir / "users.txt").write_text(f'"{parts.username}" "{parts.password or ""}"\n')
        (workdir / "pgbouncer.ini").write_text(
            f"""[databases]
* = host={parts.hostname} port={parts.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = {"trust" if not parts.password else "plain"}
auth_file = {workdir / "users.txt"}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = {workdir / "pgbouncer.log"}
"""
        )
        run_as: list[str] = []
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(workdir, user="postgres")
            for name in ("users.txt", "pgbouncer.ini"):
                shutil.chown(workdir / name, user="postgres")
            run_as = ["runuser", "-u", "postgres", "--"]
        process = subprocess.Popen([*run_as, binary, str(workdir / "pgbouncer.ini")])
        try:
            time.sleep(1)
            pid = process.pid
            if run_as:  # runuser forks: the server is its child
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                pid = int(children[0]) if children else pid
            yield urlunsplit(parts._replace(netloc=f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}")), pid
        finally:
            process.terminate()
            process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def fresh_database(direct_url: str) -> None:
    """Each run on a new, empty database: rate limits and the surge defence start from nothing."""
    parts = urlsplit(direct_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-q", "-d", maintenance, "-c", sql], check=True, capture_output=True)


def one_run(database_url: str) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": database_url, "BENCH_TOKENS": "computed"}
    env.setdefault("BENCH_SIGNERS", "300")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sign_flow.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout
    if result.returncode != 0 or "confirmed signatures/s" not in out:
        raise SystemExit(f"sign_flow.py failed:\n{out}\n{result.stderr[-3000:]}")

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else float("nan")

    return {
        "signatures/s": number(r"([\d.]+) confirmed signatures/s"),
        "sign p99 ms": number(r"sign POST\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+([\d.]+)"),
        "confirm p99 ms": number(r"confirm POST\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+([\d.]+)"),
        "gunicorn ms/sig": number(r"CPU per confirmed signature: gunicorn ([\d.]+) ms"),
        "postgres ms/sig": number(r"database ([\d.]+) ms"),
        "confirmed": number(r"(\d+) of \d+ signers confirmed"),
    }


def main() -> int:
    direct = os.environ.get("DATABASE_URL", "")
    if not direct.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name an empty PostgreSQL database (see the docstring)")
    runs: dict[str, list[dict[str, float]]] = {"direct": [], "pgbouncer": []}
    with pgbouncer(direct) as (bounced, pid):
        print(f"PgBouncer (transaction mode, pool 20) at {bounced.split('@')[-1]}, pid {pid}")
        order = ["direct", "pgbouncer"]
        for number in range(ROUNDS * 2):
            mode = order[(number + number // 2) % 2]  # A B B A A B …
            fresh_database(direct)
            before = cpu_seconds(pid)
            figures = one_run(direct if mode == "direct" else bounced)
            if mode == "pgbouncer":
                figures["pgbouncer ms/sig"] = (cpu_seconds(pid) - before) * 1000 / max(figures["confirmed"], 1)
            runs[mode].append(figures)
            print(f"run {number + 1} {mode:<9} " + ", ".join(f"{key} {value:.1f}" for key, value in figures.items()))
    print("\nmedians")
    for mode, each in runs.items():
        keys = [key for key in each[0] if key != "confirmed"]
        print(f"  {mode:<9} " + ", ".join(f"{key} {statistics.median(run[key] for run in each):.1f}" for key in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
