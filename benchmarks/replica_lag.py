"""How far behind a streaming standby is on loopback: the time from a commit on the primary until
the row is visible on the standby, with synchronous_commit off and on (200 writes each).

Starts a throwaway primary and a pg_basebackup standby as the replica test does, and removes them.
The figures are in the README ("Read replicas"); they set DATABASE_REPLICA_MAX_LAG's default and the
undersigned_primary cookie's lifetime, both far above them.

    scripts/uv run python benchmarks/replica_lag.py
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WRITES = 200


def main() -> None:
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "scripts" / "run_tests.py")
    if spec is None or spec.loader is None:
        raise SystemExit("scripts/run_tests.py is missing")
    clusters = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clusters)
    with clusters.throwaway_postgres() as primary_url:
        with psycopg.connect(primary_url, autocommit=True) as setup:
            setup.execute("CREATE TABLE probe (x int)")
        with (
            clusters.throwaway_standby(primary_url) as standby_url,
            psycopg.connect(primary_url, autocommit=True) as primary,
            psycopg.connect(standby_url, autocommit=True) as standby,
        ):
            time.sleep(1)
            for synchronous_commit in ("off", "on"):
                primary.execute(f"SET synchronous_commit = {synchronous_commit}")
                lags = []
                for number in range(WRITES):
                    primary.execute("INSERT INTO probe VALUES (%s)", (number,))
                    committed = time.monotonic()
                    seen = "SELECT EXISTS (SELECT 1 FROM probe WHERE x = %s)"
                    while not standby.execute(seen, (number,)).fetchone()[0]:  # type: ignore[index]
                        pass
                    lags.append((time.monotonic() - committed) * 1000)
                    primary.execute("DELETE FROM probe")
                lags.sort()
                p99 = lags[int(WRITES * 0.99) - 1]
                print(
                    f"synchronous_commit={synchronous_commit}: visible on the standby after median "
                    f"{statistics.median(lags):.1f} ms, p99 {p99:.1f} ms, max {lags[-1]:.1f} ms"
                )


if __name__ == "__main__":
    main()
