"""Run the three passes of the suite and print what each counted.

1. unit and integration tests on SQLite;
2. the same tests on PostgreSQL (TEST_DATABASE_URL, or a throwaway cluster);
3. the browser tests in /usr/bin/chromium.

Redis-backed tests get TEST_REDIS_URL, or a throwaway redis-server. Extra arguments go to every
pytest run (``make test ARGS="-k healthz"``). Exits non-zero if any pass fails or runs no test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start on port {port}")


def postgres_bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not candidates:
        raise SystemExit("no PostgreSQL binaries in /usr/lib/postgresql; run: sudo apt-get install -y postgresql")
    return candidates[-1].parent


def _cluster_dir() -> tuple[Path, list[str]]:
    """A private temporary directory for a cluster, and the command prefix that runs as its owner:
    PostgreSQL refuses to run as root, so as root the cluster runs as the postgres system user."""
    workdir = Path(tempfile.mkdtemp(prefix="undersigned-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        shutil.chown(workdir, user=user)
        workdir.chmod(0o700)
        run_as = ["runuser", "-u", user, "--"]
    return workdir, run_as


# Tuned for tests: durability off. The default wal_level (replica) and initdb's pg_hba.conf (which
# lets loopback replicate) are what a streaming standby needs.
TEST_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


@contextlib.contextmanager
def _running(bin_dir: Path, workdir: Path, run_as: list[str], port: int, tuning: str = TEST_OPTIONS) -> Iterator[None]:
    data = workdir / "data"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} {tuning}"
    subprocess.run(
        [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(workdir / "log"), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres(tuning: str = TEST_OPTIONS) -> Iterator[str]:
    """A PostgreSQL cluster in a temporary directory, tuned for tests (no fsync; ``tuning`` is the
    server options), removed afterwards."""
    bin_dir = postgres_bin_dir()
    workdir, run_as = _cluster_dir()
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(workdir / "data"),
            "-U",
            "undersigned",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with _running(bin_dir, workdir, run_as, port, tuning):
        print(f"throwaway PostgreSQL {bin_dir.parent.name} on 127.0.0.1:{port}")
        yield f"postgres://undersigned@127.0.0.1:{port}/postgres"


@contextlib.contextmanager
def throwaway_standby(primary_url: str) -> Iterator[str]:
    """A streaming replica of a throwaway cluster: pg_basebackup -R (which writes the connection to
    the primary and standby.signal), started on a free port; the URL of its ``postgres`` database."""
    from urllib.parse import urlsplit

    primary = urlsplit(primary_url)
    bin_dir = postgres_bin_dir()
    workdir, run_as = _cluster_dir()
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_basebackup"),
            "-h",
            str(primary.hostname),
            "-p",
            str(primary.port),
            "-U",
            primary.username or "undersigned",
            "-D",
            str(workdir / "data"),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with _running(bin_dir, workdir, run_as, port):
        yield f"postgres://{primary.username or 'undersigned'}@127.0.0.1:{port}/postgres"


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise SystemExit("redis-server is missing; run: sudo apt-get install -y redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--databases", "64"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, "redis-server")
        print(f"throwaway Redis on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_pass(name: str, marker: str, env: dict[str, str], extra: list[str], parallel: bool) -> dict[str, int]:
    report = ARTIFACTS / f"{name.lower()}.xml"
    command = [sys.executable, "-m", "pytest", "-m", marker, f"--junitxml={report}", "-q"]
    if parallel:
        command += ["-n", os.environ.get("TEST_PROCESSES", "auto")]
    print(f"\n=== {name} ===", flush=True)
    started = time.monotonic()
    result = subprocess.run([*command, *extra], env={**os.environ, **env}, cwd=ROOT, check=False)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        root = ElementTree.parse(report).getroot()  # noqa: S314  (our own pytest's report)
        suite = root.find("testsuite") if root.tag == "testsuites" else root
        if suite is not None:
            counts = {key: int(suite.get(key, 0)) for key in counts}
    counts["returncode"] = result.returncode
    counts["seconds"] = round(time.monotonic() - started)
    return counts


def main() -> int:
    ARTIFACTS.mkdir(exist_ok=True)
    extra = sys.argv[1:]
    results: dict[str, dict[str, int]] = {}
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        redis_url = os.environ.get("TEST_REDIS_URL") or stack.enter_context(throwaway_redis())
        base_env = {"TEST_REDIS_URL": redis_url}
        sqlite_env = {**base_env, "DATABASE_URL": ""}
        results["SQLite"] = run_pass("SQLite", "not browser", sqlite_env, extra, parallel=True)
        database_url = os.environ.get("TEST_DATABASE_URL") or stack.enter_context(throwaway_postgres())
        results["PostgreSQL"] = run_pass(
            "PostgreSQL", "not browser", {**base_env, "DATABASE_URL": database_url}, extra, parallel=True
        )
        results["Browser"] = run_pass("Browser", "browser", sqlite_env, extra, parallel=False)

    print("\n=== Summary ===")
    failed = False
    for name, counts in results.items():
        passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        ok = counts["returncode"] == 0 and counts["tests"] > 0
        failed = failed or not ok
        print(
            f"{name:<11} {'ok    ' if ok else 'FAILED'} {passed} passed, {counts['skipped']} skipped, "
            f"{counts['failures'] + counts['errors']} failed, in {counts['seconds']}s"
        )
    print(f"whole suite: {round(time.monotonic() - started)}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
