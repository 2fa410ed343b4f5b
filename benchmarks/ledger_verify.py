"""Ledger benchmark, run by hand; its numbers go into the README and the closing note of issue 7.

Builds a statement with BENCH_EVENTS (100,000) confirmed-signature events on a throwaway SQLite
database (or DATABASE_URL), times the sealing that chains them, writes the public export and head,
and times ``tools/verify_statement.py`` on them in a separate, isolated Python (``-I``: the
standard library only), as a member of the public would run it.

    scripts/uv run python benchmarks/ledger_verify.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
COUNTRIES = ["FR", "ES", "MA", "SN", "DE", "TR", "SY", "AF", "UA", "CO"]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-ledger-") as directory:
        os.environ.setdefault("DEBUG", "true")
        os.environ["VAR_DIR"] = directory
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
        from undersigned.core.public_ids import new_public_id
        from undersigned.ledger.models import PendingEvent
        from undersigned.ledger.selectors import export_lines, head_document
        from undersigned.ledger.services import seal_pending
        from undersigned.statements.models import Statement

        statement = Statement.objects.get(slug="safe-cycling-lanes")
        generator = random.Random(7)  # noqa: S311  (sample data)
        PendingEvent.objects.bulk_create(
            (
                PendingEvent(
                    statement=statement,
                    kind="signature.confirmed",
                    subject=new_public_id(),
                    country=generator.choice(COUNTRIES),
                )
                for _ in range(EVENTS)
            ),
            batch_size=5000,
        )
        started = time.perf_counter()
        outcome = seal_pending()
        sealing = time.perf_counter() - started
        export = Path(directory) / "ledger.jsonl"
        head_file = Path(directory) / "head.json"
        started = time.perf_counter()
        head = head_document(statement)
        with export.open("w", encoding="utf-8") as output:
            output.writelines(export_lines(statement, up_to=head["seq"]))
        exporting = time.perf_counter() - started
        head_file.write_text(json.dumps(head), encoding="utf-8")
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-I", str(ROOT / "tools" / "verify_statement.py"), str(export), str(head_file)],
                capture_output=True,
                text=True,
                check=False,
            )
            runs.append(time.perf_counter() - started)
        print(f"{outcome.sealed} events sealed in {sealing:.1f} s ({outcome.sealed / sealing:.0f} events/s)")
        print(f"export: {export.stat().st_size / 1e6:.1f} MB written in {exporting:.1f} s")
        print(
            f"verify_statement.py: exit {result.returncode}, {sorted(runs)[1]:.2f} s (median of 3): "
            + result.stdout.strip()
        )
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
