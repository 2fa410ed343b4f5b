"""Signed statement (PDF) benchmark, run by hand; its numbers go into the README.

For each size in BENCH_NAMES (1,000, 10,000 and 100,000 public names by default, one in ten more
signers hidden) with BENCH_ORGANISATIONS (500) approved organisations, a fresh process on one core
builds a throwaway SQLite database with the demo data, writes the signatures and sign-ons in bulk
and seals them, then times the build as the background task does it (gathering the data in one
snapshot, laying out with WeasyPrint, writing the PDF). Peak memory is the process's maximum
resident set size, Django and the data included.

    scripts/uv run python benchmarks/pdf.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(size) for size in os.environ.get("BENCH_NAMES", "1000,10000,100000").split(",")]
ORGANISATIONS = int(os.environ.get("BENCH_ORGANISATIONS", "500"))


def one(names: int) -> None:
    """Builds one PDF in this process (on one core) and prints one line of results."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-pdf-") as directory:
        os.environ.setdefault("DEBUG", "true")
        os.environ["VAR_DIR"] = directory
        os.environ["DATABASE_URL"] = ""
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
        from undersigned.exports.pdf import render_pdf
        from undersigned.exports.selectors import signed_statement
        from undersigned.exports.tests.builders import bulk_sign_ons, bulk_signatures
        from undersigned.ledger.services import seal_pending
        from undersigned.statements.models import Statement

        statement = Statement.objects.select_related("commission").get(slug="safe-cycling-lanes")
        # names public names: one signer in ten more chose to hide theirs.
        bulk_signatures(statement, names + names // 9, hidden_every=10)
        bulk_sign_ons(statement, ORGANISATIONS)
        seal_pending()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        data = signed_statement(statement=statement, language="en")
        gathered = time.perf_counter()
        pdf = render_pdf(data, paper="a4")
        finished = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out = Path(directory) / "statement.pdf"
        out.write_bytes(pdf)
        pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=False).stdout
        page_count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
        print(
            f"{len(data.names):>7,} names {data.organisations:>4} organisations: "
            f"{finished - started:6.1f} s (gathering {gathered - started:.1f} s, layout and writing "
            f"{finished - gathered:.1f} s), peak {peak:5.0f} MB (before the build {rss_before:.0f} MB), "
            f"{page_count} pages, {len(pdf) / 1e6:.1f} MB"
        )


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one(int(sys.argv[2]))
        return 0
    print(f"Signed statement PDF, one core, {ORGANISATIONS} organisations; {time.strftime('%Y-%m-%d')}")
    for names in SIZES:
        subprocess.run([sys.executable, __file__, "--one", str(names)], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
