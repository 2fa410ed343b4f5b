"""Signed statement (PDF) benchmark, run by hand; its numbers go into the README.

For each size in BENCH_NAMES (1,000, 10,000 and 100,000 public names by default, one in ten more
signers hidden) with BENCH_ORGANISATIONS (500) approved organisations, a fresh process on one core
builds a throwaway SQLite database with the demo data, writes the signatures and sign-ons in bulk
and seals them; then another fresh process times the build as the background task does it (gathering the data in one
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


def _setup(directory: str) -> None:
    if hasattr(os, "sched_setaffinity"):  # one core, as the aim says
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("DEBUG", "true")
    os.environ["VAR_DIR"] = directory
    os.environ["DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(names: int, directory: str) -> None:
    """The demo site, with ``names`` public names (and one signer in ten more hidden) and
    ORGANISATIONS sign-ons on one statement, sealed."""
    _setup(directory)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    from undersigned.exports.tests.builders import bulk_sign_ons, bulk_signatures
    from undersigned.ledger.services import seal_pending
    from undersigned.statements.models import Statement

    statement = Statement.objects.get(slug="safe-cycling-lanes")
    bulk_signatures(statement, names + names // 9, hidden_every=10)
    bulk_sign_ons(statement, ORGANISATIONS)
    seal_pending()


def build(directory: str) -> None:
    """The build, in a process of its own (so its peak memory is the build's, not the bulk
    insert's); prints one line of results."""
    _setup(directory)
    from undersigned.exports.pdf import render_pdf
    from undersigned.exports.selectors import signed_statement
    from undersigned.statements.models import Statement

    statement = Statement.objects.select_related("commission").get(slug="safe-cycling-lanes")
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
        f"{finished - gathered:.1f} s), peak {peak:5.0f} MB (Django loaded: {rss_before:.0f} MB), "
        f"{page_count} pages, {len(pdf) / 1e6:.1f} MB",
        flush=True,
    )


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":
        prepare(int(sys.argv[2]), sys.argv[3])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        build(sys.argv[2])
        return 0
    print(f"Signed statement PDF, one core, {ORGANISATIONS} organisations; {time.strftime('%Y-%m-%d')}", flush=True)
    for names in SIZES:
        with tempfile.TemporaryDirectory(prefix="undersigned-bench-pdf-") as directory:
            prepare_command = [sys.executable, __file__, "--prepare", str(names), directory]
            subprocess.run(prepare_command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            subprocess.run([sys.executable, __file__, "--build", directory], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
