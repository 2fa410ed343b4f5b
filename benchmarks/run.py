"""Page benchmarks, run by hand (`make bench`); numbers go into the README.

Starts the site as production runs it (DEBUG off, gunicorn, collected static files) on a throwaway
SQLite database with the demo data, or on DATABASE_URL when set, then keeps CONCURRENCY clients
requesting each page for SECONDS and prints requests per second, latency percentiles and the
resident memory of the server processes.

    make bench                       # SQLite
    DATABASE_URL=postgres://... make bench
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import free_port, hammer, process_tree, production_environment, resident_memory_mib

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PAGES = {
    "home (English)": ("/", "en"),
    "home (Arabic)": ("/", "ar"),
    "statements index": ("/statements/", "en"),
    "statement (fr)": ("/statements/library-opening-hours/", "fr"),
    "statement (ar)": ("/statements/library-opening-hours/ar/", "en"),
    "healthz": ("/healthz", "en"),
}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-") as directory:
        env = production_environment(Path(directory))
        manage = [sys.executable, "manage.py"]
        for command in (
            ["migrate", "--no-input", "-v", "0"],
            ["load_demo", "--allow-production"],
            ["collectstatic", "--no-input", "-v", "0"],
        ):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [
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
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
            print(f"{database}, gunicorn with {WORKERS} workers, {CONCURRENCY} clients, {SECONDS:.0f}s per page")
            print(f"{'page':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for name, (path, language) in PAGES.items():
                latencies, errors = hammer(
                    port, path, {"Accept-Language": language}, 200, seconds=SECONDS, clients=CONCURRENCY
                )
                count = len(latencies)
                quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
                print(
                    f"{name:<18} {count / SECONDS:>8.0f} {quantiles[49] * 1000:>8.1f} "
                    f"{quantiles[94] * 1000:>8.1f} {quantiles[98] * 1000:>8.1f} {errors:>7}"
                )
            memory = resident_memory_mib(process_tree(server.pid))
            print(f"server resident memory: {memory:.0f} MiB in {WORKERS + 1} processes")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
