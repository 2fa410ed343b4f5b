#!/usr/bin/env python3
"""Re-check a statement's published count with Python 3 alone, and the log's checkpoints with `cryptography`.

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

The transparency log's checkpoints (C2SP tlog-checkpoint, signed with Ed25519 as C2SP signed-note,
cosigned by witnesses as C2SP tlog-cosignature) are checked with the `cryptography` package as well
(`pip install cryptography`); nothing else:

    python3 verify_statement.py checkpoint checkpoint.txt --log VKEY [--witness VKEY ...] [--quorum N]
    python3 verify_statement.py consistency old.txt new.txt proof.txt --log VKEY [--witness VKEY ...] [--quorum N]

VKEY is a verifier key in the signed-note format (name+id+base64). `checkpoint` checks
the log's signature and counts the witnesses' cosignatures, failing when fewer than N verify.
`consistency` checks both checkpoints that way and that the newer tree extends the older one: the
proof is the RFC 6962 consistency proof, one base64 hash per line.
"""

from __future__ import annotations

import argparse
import base64
import binascii
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
    if len(argv) > 1 and argv[1] in ("checkpoint", "consistency"):
        return log_main(argv[1:])
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


# --- The transparency log's checkpoints ------------------------------------------------------
# The same formats as undersigned/ledger/tlog.py, written again here so that this file stands alone;
# the project's tests check that the two agree.

SIGNATURE_TYPES = {1: "log", 4: "cosignature"}


class LogCheckError(Exception):
    pass


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise LogCheckError(f"not base64: {text[:40]!r}") from None


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """(name, key id, signature type, public key) of ``name+hexid+base64(type || key)``."""
    name, _, rest = vkey.strip().partition("+")
    hex_id, _, material = rest.partition("+")
    raw = _b64(material)
    if not name or len(raw) != 33 or raw[0] not in SIGNATURE_TYPES:
        raise LogCheckError(f"not an Ed25519 verifier key: {vkey!r}")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()[:4]
    if key_id.hex() != hex_id.lower():
        raise LogCheckError(f"the verifier key's id does not match its key: {vkey!r}")
    return name, key_id, raw[0], raw[1:]


def open_checkpoint(data: bytes, log_key: str, witness_keys: list[str]) -> tuple[str, int, bytes, list[str]]:
    """(origin, size, root, witnesses whose cosignature verifies); raises ``LogCheckError`` unless
    the log's signature is there and verifies, and no known key's signature fails."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    split = data.rfind(b"\n\n")
    if split < 0 or not data.endswith(b"\n"):
        raise LogCheckError("not a signed note: text, a blank line, signature lines")
    text, lines = data[: split + 1], data[split + 2 :].decode("utf-8", "replace").splitlines()
    body = text.decode("utf-8", "replace").split("\n")
    if len(body) < 4 or not body[1].isdigit():
        raise LogCheckError("not a checkpoint: origin, size and root hash, one per line")
    origin, size, root = body[0], int(body[1]), _b64(body[2])
    log = parse_vkey(log_key)
    if log[2] != 1 or log[0] != origin:
        raise LogCheckError(f"the checkpoint is of {origin!r}; the log key given is {log[0]!r}")
    known = {(key[0], key[1]): key for key in [log, *(parse_vkey(k) for k in witness_keys)]}
    log_signed, witnesses = False, []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014":
            raise LogCheckError(f"not a signature line: {line[:60]!r}")
        raw = _b64(parts[2])
        key = known.get((parts[1], raw[:4]))
        if key is None:
            continue  # a signature of a key nobody asked about
        name, _key_id, kind, public = key
        signature = raw[4:]
        try:
            if kind == 1:
                Ed25519PublicKey.from_public_bytes(public).verify(signature, text)
                log_signed = True
            else:
                if len(signature) != 72:
                    raise LogCheckError(f"the cosignature of {name} is not a timestamp and 64 bytes")
                timestamp = int.from_bytes(signature[:8], "big")
                message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text
                Ed25519PublicKey.from_public_bytes(public).verify(signature[8:], message)
                witnesses.append(name)
        except InvalidSignature:
            raise LogCheckError(f"the signature of {name} does not verify: the note was changed") from None
    if not log_signed:
        raise LogCheckError("the log's key did not sign this checkpoint")
    return origin, size, root, witnesses


def verify_consistency(old_size: int, new_size: int, proof: list[bytes], old_root: bytes, new_root: bytes) -> None:
    """RFC 9162, 2.1.4.2."""
    if old_size > new_size:
        raise LogCheckError(f"the older checkpoint ({old_size}) is larger than the newer ({new_size})")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise LogCheckError("two different trees of the same size: the log forked")
        return
    if old_size == 0:
        return
    if not proof:
        raise LogCheckError("the consistency proof is empty")
    path = ([old_root] if old_size & (old_size - 1) == 0 else []) + proof
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise LogCheckError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise LogCheckError("the consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise LogCheckError("the newer tree does not extend the older one: history was rewritten")


def _log_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="verify_statement.py")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, files in (("checkpoint", ["checkpoint"]), ("consistency", ["older", "newer", "proof"])):
        command = commands.add_parser(name)
        for file in files:
            command.add_argument(file)
        command.add_argument("--log", required=True, help="the log's verifier key")
        command.add_argument("--witness", action="append", default=[], help="a witness's verifier key")
        command.add_argument("--quorum", type=int, default=0, help="how many witnesses must have cosigned")
    return parser.parse_args(argv)


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def log_main(argv: list[str]) -> int:
    arguments = _log_arguments(argv)
    try:
        checkpoints = (
            [arguments.checkpoint] if arguments.command == "checkpoint" else [arguments.older, arguments.newer]
        )
        opened = []
        for path in checkpoints:
            origin, size, root, witnesses = open_checkpoint(_read(path), arguments.log, arguments.witness)
            if len(witnesses) < arguments.quorum:
                raise LogCheckError(
                    f"{path}: {len(witnesses)} of the witnesses named cosigned; the quorum is {arguments.quorum}"
                )
            opened.append((size, root))
            cosigned = f", cosigned by {', '.join(witnesses)}" if witnesses else ""
            print(f"{path}: {origin} at {counted(size, 'entry', 'entries')}, signed by the log{cosigned}")
        if arguments.command == "consistency":
            lines = _read(arguments.proof).decode().split()
            verify_consistency(opened[0][0], opened[1][0], [_b64(line) for line in lines], opened[0][1], opened[1][1])
            print(f"OK: the tree of {opened[1][0]} extends the tree of {opened[0][0]}")
        else:
            print("OK")
        return 0
    except (LogCheckError, OSError, UnicodeDecodeError) as problem:
        print(f"FAILED: {problem}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
