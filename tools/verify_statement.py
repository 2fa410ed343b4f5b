#!/usr/bin/env python3
"""Re-check a statement's published count, with nothing but Python 3.

Download two files from the statement's transparency page:

    export.jsonl   the statement's ledger: one event per line, in order
    head.json      the published head: the last entry's number and hash, and the counts

and run

    python3 verify_statement.py export.jsonl head.json

The script recomputes every entry's SHA-256 from the one before it, checks that the numbers run
1, 2, 3 … without a gap, recomputes the counts (signatures and organisations, in total and by
country) from the events, and compares the last hash and the counts with the head. It names the
first entry that is wrong and exits with 1; it exits with 0 when everything agrees.

Each entry's hash is SHA-256 of: the previous entry's hash (64 zeros before the first), a newline,
and the entry without its "hash" and "prev_hash" fields as JSON with sorted keys, no spaces and
non-ASCII characters kept as they are (UTF-8).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

GENESIS = "0" * 64
EFFECTS = {
    "signature.confirmed": ("signatures", +1),
    "signature.withdrawn": ("signatures", -1),
    "signature.invalidated": ("signatures", -1),
    "signature.restored": ("signatures", +1),
    "sign_on.approved": ("organisations", +1),
    "sign_on.withdrawn": ("organisations", -1),
}


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = {key: value for key, value in entry.items() if key not in ("hash", "prev_hash")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode("utf-8")).hexdigest()


def verify(export_lines: Any, head: dict[str, Any]) -> tuple[list[str], int | None, dict[str, Any], int]:
    """Returns (problems, first bad entry number or None, counts, entries read)."""
    counts: dict[str, Any] = {
        "signatures": {"total": 0, "by_country": {}},
        "organisations": {"total": 0, "by_country": {}},
    }
    problems: list[str] = []
    first_bad: int | None = None
    prev_hash, expected, entries = GENESIS, 1, 0

    def fail(seq: int | None, problem: str) -> None:
        nonlocal first_bad
        if first_bad is None and seq is not None:
            first_bad = seq
        problems.append(problem)

    for number, line in enumerate(export_lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            seq = entry["seq"]
        except (ValueError, KeyError, TypeError):
            fail(expected, f"line {number} is not a ledger entry")
            break
        entries += 1
        if seq != expected:
            fail(expected, f"entry {expected} is missing or out of order (line {number} holds entry {seq})")
            expected = seq
        if entry.get("prev_hash") != prev_hash:
            fail(seq, f"entry {seq} does not follow the one before it")
        if entry_hash(prev_hash, entry) != entry.get("hash"):
            fail(seq, f"entry {seq} was changed after it was sealed")
        prev_hash = entry.get("hash", "")
        effect = EFFECTS.get(entry.get("kind"))
        if effect:
            name, delta = effect
            count = counts[name]
            count["total"] += delta
            by_country = count["by_country"]
            country = entry.get("country", "")
            by_country[country] = by_country.get(country, 0) + delta
            if by_country[country] == 0:
                del by_country[country]
        expected += 1

    last, covered = expected - 1, head.get("seq", 0)
    if last < covered:
        fail(last + 1, f"the head covers entry {covered}, the export ends at entry {last}")
    elif last > covered:
        fail(covered + 1, f"the export goes on past the head, which covers entry {covered}")
    if prev_hash != head.get("hash"):
        fail(None, "the last entry's hash is not the published head's hash")
    for name in ("signatures", "organisations"):
        published = head.get("counts", {}).get(name)
        if published != counts[name]:
            fail(None, f"published {name}: {published}; the log gives {counts[name]}")
    return problems, first_bad, counts, entries


def counted(number: int, one: str, other: str) -> str:
    """ "1 signature", "2 signatures": the tool speaks English only and depends on nothing."""
    return f"{number} {one if number == 1 else other}"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        print("usage: python3 verify_statement.py export.jsonl head.json", file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as head_file:
        head = json.load(head_file)
    with open(argv[1], encoding="utf-8") as export:
        problems, first_bad, counts, entries = verify(export, head)
    statement = head.get("statement", "?")
    if problems:
        where = f"; first bad entry: {first_bad}" if first_bad is not None else ""
        print(f"{statement}: FAILED{where}")
        for problem in problems[:20]:
            print(f"  {problem}")
        return 1
    signatures, organisations = counts["signatures"]["total"], counts["organisations"]["total"]
    print(
        f"{statement}: OK, {counted(entries, 'entry', 'entries')} up to {head['hash']}; "
        f"{counted(signatures, 'signature', 'signatures')} and "
        f"{counted(organisations, 'organisation', 'organisations')}, as published"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
