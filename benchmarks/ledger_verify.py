"""Ledger benchmark, run by hand; its numbers go into the README and the closing note of issue 7.

Three parts, all by default (BENCH_PARTS=sealing,proofs,counts picks some):

- sealing: builds a statement with BENCH_EVENTS (100,000) confirmed-signature events on a throwaway
  SQLite database (or DATABASE_URL), times the sealing that chains them, writes the public export
  and head, and times ``tools/verify_statement.py`` on them in a separate, isolated Python (``-I``:
  the standard library only), as a member of the public would run it.
- proofs: the site's transparency log in memory (``tlog.py``) with BENCH_PROOF_TREE (100,000)
  entries: inclusion proofs generated and verified per second, and receipts (the signer's
  ``.tlog-proof`` files, Ed25519 checkpoint included) verified per second by the tool's own code.
- counts: writes a log of BENCH_LOG_ENTRIES (1,000,000) entries, as the site would serve them
  (entry bundles, tiles, a cosigned checkpoint), to a temporary directory, and times
  ``verify_statement.py counts`` re-reading it (every entry hashed into the root, every count
  recomputed) from the directory and over HTTP on loopback, with its peak memory (VmHWM).

    scripts/uv run python benchmarks/ledger_verify.py
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
PROOF_TREE = int(os.environ.get("BENCH_PROOF_TREE", "100000"))
LOG_ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))
PARTS = os.environ.get("BENCH_PARTS", "sealing,proofs,counts").split(",")
SCRIPT = ROOT / "tools" / "verify_statement.py"
COUNTRIES = ["FR", "ES", "MA", "SN", "DE", "TR", "SY", "AF", "UA", "CO"]


def sealing_and_export() -> int:
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


def inclusion_proofs() -> int:
    sys.path.insert(0, str(ROOT))
    from undersigned.ledger import tlog
    from undersigned.ledger.tests import test_verifier_receipts as site_log

    started = time.perf_counter()
    entries = list(site_log.chained(site_log.random_events(PROOF_TREE, seed=1)))
    log = site_log.MemoryLog(entries)
    building = time.perf_counter() - started
    root = tlog.tree_hash(log.size, log.read)
    indexes = random.Random(2).sample(range(log.size), min(20_000, log.size))  # noqa: S311  (sample data)
    started = time.perf_counter()
    proofs = [tlog.inclusion_proof(index, log.size, log.read) for index in indexes]
    generating = time.perf_counter() - started
    started = time.perf_counter()
    for index, proof in zip(indexes, proofs, strict=True):
        tlog.verify_inclusion(tlog.leaf_hash(entries[index]), index, log.size, proof, root)
    verifying = time.perf_counter() - started
    print(f"log of {log.size} entries built in memory in {building:.1f} s")
    print(
        f"inclusion proofs (tlog.py, {len(indexes)} random leaves): generated {len(indexes) / generating:,.0f}/s, "
        f"verified {len(indexes) / verifying:,.0f}/s ({sum(map(len, proofs)) / len(proofs):.1f} hashes each)"
    )
    tool = load_tool()
    arguments = tool._log_arguments(["receipt", "-", "--log", site_log.LOG.verifier.vkey, *witness_arguments()])
    arguments.quorum = 2
    checkpoint = site_log.signed_checkpoint(log, log.size)
    confirmed = [index for index in indexes if b'"kind":"signature.confirmed"' in entries[index]][:2000]
    receipts = [
        site_log.receipt(log, index, entries[index], site_log.event_secret(1, index), checkpoint) for index in confirmed
    ]
    started = time.perf_counter()
    for data in receipts:
        tool.open_receipt("-", data, arguments)
    opening = time.perf_counter() - started
    print(
        f"receipts verified by the tool's own code (secret, leaf, Ed25519 signature of the log and of 2 witnesses, "
        f"inclusion proof): {len(receipts) / opening:,.0f}/s"
    )
    return 0


def load_tool() -> Any:
    spec = importlib.util.spec_from_file_location("verify_statement", SCRIPT)
    assert spec and spec.loader  # noqa: S101  (our own file)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def witness_arguments() -> list[str]:
    from undersigned.ledger.tests import test_verifier_receipts as site_log

    return [argument for w in site_log.WITNESSES for argument in ("--witness", site_log.witness_vkey(w))]


def log_counts() -> int:
    sys.path.insert(0, str(ROOT))
    from undersigned.ledger.tests import test_verifier_receipts as site_log

    with tempfile.TemporaryDirectory(prefix="undersigned-bench-log-") as directory:
        log_directory = Path(directory) / "log"
        started = time.perf_counter()
        site_log.write_log(log_directory, site_log.chained(site_log.random_events(LOG_ENTRIES, seed=3)))
        building = time.perf_counter() - started
        files = [path for path in log_directory.rglob("*") if path.is_file()]
        bundles = sum(path.stat().st_size for path in files if "entries" in path.parts)
        print(
            f"log of {LOG_ENTRIES:,} entries written in {building:.0f} s: {len(files)} files, "
            f"entry bundles {bundles / 1e6:.0f} MB ({bundles / LOG_ENTRIES:.0f} bytes an entry with its length)"
        )
        code = timed_counts("from the directory", str(log_directory))
        handler = functools.partial(QuietHandler, directory=directory)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            code |= timed_counts("over HTTP on loopback", f"http://127.0.0.1:{server.server_address[1]}/log/")
        finally:
            server.shutdown()
            server.server_close()
        return code


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        pass


# Runs the tool as ``python3 verify_statement.py ...`` would, then prints the process's peak resident
# memory. Not getrusage's maxrss: Linux carries the forking parent's high-water mark across exec
# (this benchmark holds the log it built), while VmHWM belongs to the new process's memory alone.
PEAK_MEMORY_WRAPPER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print("peak kB", next(line.split()[1] for line in status if line.startswith("VmHWM:")), file=sys.stderr)
"""


def timed_counts(where: str, location: str) -> int:
    """Runs ``counts`` in an isolated Python of its own and reads its peak memory."""
    from undersigned.ledger.tests import test_verifier_receipts as site_log

    command = [sys.executable, "-I", "-c", PEAK_MEMORY_WRAPPER, str(SCRIPT), "counts", location]
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "--log", site_log.LOG.verifier.vkey, *witness_arguments(), "--quorum", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    peak = int(result.stderr.split("peak kB ")[-1].split()[0]) / 1024
    print(
        f"verify_statement.py counts {where}: exit {result.returncode}, {elapsed:.1f} s "
        f"({LOG_ENTRIES / elapsed:,.0f} entries/s), peak memory {peak:.0f} MB; "
        + " / ".join(result.stdout.splitlines()[:2])
    )
    return result.returncode


def main() -> int:
    code = 0
    if "sealing" in PARTS:
        code |= sealing_and_export()
    if "proofs" in PARTS:
        code |= inclusion_proofs()
    if "counts" in PARTS:
        code |= log_counts()
    return code


if __name__ == "__main__":
    sys.exit(main())
