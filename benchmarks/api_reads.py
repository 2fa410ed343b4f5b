"""The API's public reads beside the statement page, run by hand; numbers go into the README.

Starts the site as production runs it (DEBUG off, gunicorn, collected static files) on a throwaway
SQLite database with the demo data, or on DATABASE_URL when set, and keeps CONCURRENCY clients
requesting each address for SECONDS: the count endpoint (fresh, and revalidated with its ETag as
a cache in front would), the statement's API answer, the statement page and the count badge (SVG
and HTML). Prints requests per second and latency percentiles.

    scripts/uv run python benchmarks/api_reads.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench scripts/uv run python benchmarks/api_reads.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import free_port, hammer, production_environment

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SLUG = "library-opening-hours"  # a statement of the demo data, with signatures and sign-ons
# name: (path, request headers, the status a good answer has)
TARGETS: dict[str, tuple[str, dict[str, str], int]] = {
    "API counts": (f"/api/v1/statements/{SLUG}/counts", {}, 200),
    "API counts, If-None-Match": (f"/api/v1/statements/{SLUG}/counts", {"If-None-Match": "<etag>"}, 304),
    "API statement": (f"/api/v1/statements/{SLUG}", {}, 200),
    "statement page": (f"/statements/{SLUG}/", {}, 200),
}
# The count badge, an SVG for other sites' <img> tags, and the same as an HTML fragment.
TARGETS["count badge (SVG)"] = (f"/statements/{SLUG}/badge.svg", {}, 200)
TARGETS["count badge (HTML)"] = (f"/statements/{SLUG}/badge.html", {}, 200)


@contextmanager
def site(env: dict[str, str]) -> Iterator[int]:
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["load_demo", "--allow-production"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(WORKERS), "--log-level", "warning"],
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
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def current_etag(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Accept-Language": "en"})
    response = connection.getresponse()
    response.read()
    return response.getheader("ETag") or ""


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    targets = dict(TARGETS)
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-") as directory:
        env = production_environment(Path(directory))
        with site(env) as port:
            database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
            print(f"{database}, gunicorn with {WORKERS} workers, {CONCURRENCY} clients, {SECONDS:.0f}s per address")
            print(f"{'address':<26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for name, (path, headers, expected) in targets.items():
                if headers.get("If-None-Match") == "<etag>":
                    # The counts' ETag holds while the count does: nobody signs during the run.
                    headers = {"If-None-Match": current_etag(port, path)}
                latencies, errors = hammer(
                    port, path, {"Accept-Language": "en", **headers}, expected, seconds=SECONDS, clients=CONCURRENCY
                )
                quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
                print(
                    f"{name:<26} {len(latencies) / SECONDS:>8.0f} {quantiles[49] * 1000:>8.1f} "
                    f"{quantiles[94] * 1000:>8.1f} {quantiles[98] * 1000:>8.1f} {errors:>7}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
