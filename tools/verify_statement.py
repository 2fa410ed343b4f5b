#!/usr/bin/env python3
"""Re-check a statement's published count with Python 3 alone, and the site's log with `cryptography`.

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

The site's transparency log is checked with the `cryptography` package as well (`pip install
cryptography`); nothing else. The log is one Merkle tree (RFC 6962) of every statement's events,
served as C2SP tlog-tiles under the site's /log/; its checkpoints (C2SP tlog-checkpoint) are signed
with Ed25519 as C2SP signed-note and cosigned by witnesses as C2SP tlog-cosignature:

    python3 verify_statement.py checkpoint checkpoint.txt --log VKEY [--witness VKEY ...] [--quorum N]
    python3 verify_statement.py consistency old.txt new.txt proof.txt --log VKEY [--witness VKEY ...] [--quorum N]
    python3 verify_statement.py receipt RECEIPT.tlog-proof [RECEIPT.tlog-proof ...] --log VKEY
        [--witness VKEY ...] [--quorum N]
    python3 verify_statement.py counts LOG --log VKEY [--statement SLUG] [--head head.json]
        [--since OLD_CHECKPOINT] [--json] [--witness VKEY ...] [--quorum N]

VKEY is a verifier key in the signed-note format (name+id+base64): the log's is on the site's
transparency page, a witness's from the witness. Every command checks the log's signature on each
checkpoint (and that the checkpoint's origin is the log key's name) and counts the named witnesses'
cosignatures, failing when fewer than N verify (N is 0 unless --quorum says otherwise).

`checkpoint` checks one checkpoint. `consistency` checks two and that the newer tree extends the
older one: the proof is the RFC 6962 consistency proof, one base64 hash per line.

`receipt` checks the receipts a signer was given (C2SP tlog-proof files): the receipt holds the
log entry of one event of the signature and the 32-byte secret only the signer has. The entry's
subject must be the SHA-256 of "undersigned receipt v1", a newline and the secret, and the entry's
leaf hash must lead to the signed checkpoint's root by the inclusion proof. It says what the receipt proves: the
statement, the event (counted, withdrawn, removed by moderators with their reason ...), the country,
the time, the entry's index and the tree's size, and which witnesses cosigned. Given several
receipts of one signature (say, confirmed then withdrawn), it also says what they mean together.

`counts` reads the whole log from LOG, a URL prefix such as https://example.org/log/ or a
directory holding the same paths (checkpoint, tile/entries/...): it checks the checkpoint, reads
every entry bundle, recomputes the tree's root from the entries and compares it with the
checkpoint's, checks that each statement's events run 1, 2, 3 ... without a gap, and recomputes each
statement's counts (signatures and organisations, in total and by country) from the events. It
prints them, for every statement or the one --statement names. --head compares a statement's
published head (head.json) with the log: the chain hash and the counts at the head's event.
--since takes an older checkpoint you kept: the first entries must hash to its root, or the log
rewrote its history. --json prints the counts as JSON. It reads a few bundles at a time, so memory
stays small however long the log is.

Each command prints what it found and exits with 0, or prints one line, FAILED: and the reason, and
exits with 1.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

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


def empty_counts() -> dict[str, Any]:
    return {"signatures": {"total": 0, "by_country": {}}, "organisations": {"total": 0, "by_country": {}}}


def apply_effect(counts: dict[str, Any], kind: Any, country: str) -> None:
    """Adds an event's effect to ``counts`` (as made by ``empty_counts``); countries at 0 are dropped."""
    effect = EFFECTS.get(kind)
    if effect:
        name, delta = effect
        count = counts[name]
        count["total"] += delta
        by_country = count["by_country"]
        by_country[country] = by_country.get(country, 0) + delta
        if by_country[country] == 0:
            del by_country[country]


def verify(export_lines: Any, head: dict[str, Any]) -> tuple[list[str], int | None, dict[str, Any], int]:
    """Returns (problems, first bad entry number or None, counts, entries read)."""
    counts = empty_counts()
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
        apply_effect(counts, entry.get("kind"), entry.get("country", ""))
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
    if len(argv) > 1 and argv[1] in ("checkpoint", "consistency", "receipt", "counts"):
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
    if len(body) < 4 or not (body[1].isascii() and body[1].isdigit()):
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
                # Only the log's own key makes the checkpoint the log's; a witness named with a
                # plain note key signs as a witness.
                if key == log:
                    log_signed = True
                elif name not in witnesses:
                    witnesses.append(name)
            else:
                if len(signature) != 72:
                    raise LogCheckError(f"the cosignature of {name} is not a timestamp and 64 bytes")
                timestamp = int.from_bytes(signature[:8], "big")
                message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text
                Ed25519PublicKey.from_public_bytes(public).verify(signature[8:], message)
                if name not in witnesses:  # a second line of one witness is not a second witness
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


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """RFC 9162, 2.1.3.2."""
    if not 0 <= index < size:
        raise LogCheckError(f"entry {index} cannot be in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise LogCheckError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise LogCheckError("the inclusion proof is too short")
    if r != root:
        raise LogCheckError(
            f"the inclusion proof does not lead from this entry at index {index} to the checkpoint's root: "
            "the entry was changed, or the proof is of another tree"
        )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def open_trusted_checkpoint(data: bytes, arguments: argparse.Namespace) -> tuple[str, int, bytes, list[str]]:
    """``open_checkpoint`` with the keys named on the command line, and the witnesses' quorum."""
    origin, size, root, witnesses = open_checkpoint(data, arguments.log, arguments.witness)
    if len(witnesses) < arguments.quorum:
        raise LogCheckError(f"{len(witnesses)} of the witnesses named cosigned; the quorum is {arguments.quorum}")
    return origin, size, root, witnesses


def signed_by(witnesses: list[str]) -> str:
    return "signed by the log" + (f", cosigned by {', '.join(witnesses)}" if witnesses else "")


# --- Receipts: one event of a signature or sign-on, proved to be in the log ----------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
COMMITMENT_PREFIX = b"undersigned receipt v1\n"
ENTRY_FIELDS = {"at": str, "chain": str, "country": str, "kind": str, "seq": int, "statement": str, "subject": str}
# What each event of a signature or sign-on did, in words.
EVENT_WORDS = {
    "signature.confirmed": "counted",
    "signature.held": "held for review, not counted",
    "signature.withdrawn": "removed: withdrawn by its signer",
    "signature.invalidated": "removed by the site's moderators",
    "signature.restored": "counted again after review",
    "signature.dismissed": "dismissed after review, never counted",
    "sign_on.approved": "counted",
    "sign_on.rejected": "refused, never counted",
    "sign_on.withdrawn": "removed: withdrawn by the organisation",
}


class Receipt(NamedTuple):
    path: str
    entry: dict[str, Any]
    entry_index: int
    size: int
    root: bytes
    origin: str
    witnesses: list[str]


def commitment(secret: bytes) -> str:
    return hashlib.sha256(COMMITMENT_PREFIX + secret).hexdigest()


def parse_log_entry(text: str) -> dict[str, Any]:
    entry = json.loads(text)
    if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t) for k, t in ENTRY_FIELDS.items()):
        raise ValueError("not an entry")
    return entry


def open_receipt(path: str, data: bytes, arguments: argparse.Namespace) -> Receipt:
    """Every check of a receipt; raises ``LogCheckError`` naming the first that fails."""
    head, separator, checkpoint = data.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    if not separator or lines[0] != PROOF_HEADER:
        raise LogCheckError(f"not a receipt: a {PROOF_HEADER} file")
    if len(lines) < 3 or not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise LogCheckError("the receipt does not hold its entry and secret (extra) and the entry's index")
    index_text = lines[2][len("index ") :]
    if not (index_text.isascii() and index_text.isdigit()):
        raise LogCheckError(f"the receipt's index is not a number: {index_text[:20]!r}")
    proof = [_b64(line) for line in lines[3:]]
    if any(len(node) != 32 for node in proof):
        raise LogCheckError("the inclusion proof's hashes are not SHA-256 hashes")
    try:
        extra = json.loads(_b64(lines[1][len("extra ") :]))
        entry_text, secret = extra["entry"], bytes.fromhex(extra["secret"])
        entry = parse_log_entry(entry_text)
    except (ValueError, KeyError, TypeError):
        raise LogCheckError("the receipt's extra is not the log entry and a hex secret") from None
    if len(secret) != 32:
        raise LogCheckError("the receipt's secret is not 32 bytes")
    if canonical_json(entry) != entry_text:
        raise LogCheckError("the entry is not written as the log writes entries (sorted keys, no spaces)")
    if not entry["kind"].startswith(("signature.", "sign_on.")):
        raise LogCheckError(f"the entry is a {entry['kind']} event, not one of a signature or a sign-on")
    if commitment(secret) != entry["subject"]:
        raise LogCheckError("the secret does not match the entry's commitment: this receipt is not for this entry")
    origin, size, root, witnesses = open_trusted_checkpoint(checkpoint, arguments)
    verify_inclusion(leaf_hash(entry_text.encode()), int(index_text), size, proof, root)
    return Receipt(path, entry, int(index_text), size, root, origin, witnesses)


def when(at: str) -> str:
    """2026-12-06T12:00:00.000000Z → 2026-12-06 12:00:00 UTC."""
    return f"{at[:10]} {at[11:19]} UTC" if len(at) >= 19 and at.endswith("Z") else at


def event_words(entry: dict[str, Any]) -> str:
    return EVENT_WORDS.get(entry["kind"], entry["kind"])


def reason_words(entry: dict[str, Any]) -> str:
    """ "; reason: …" when the event carries the reason the site gave for it."""
    detail = entry.get("detail")
    reason = detail.get("reason") if isinstance(detail, dict) else None
    return f"; reason: {reason}" if reason else ""


def receipt_main(arguments: argparse.Namespace) -> int:
    receipts: list[Receipt] = []
    for path in arguments.receipts:
        try:
            receipts.append(open_receipt(path, _read(path), arguments))
        except (LogCheckError, OSError, ValueError) as problem:
            print(f"FAILED: {path}: {problem}")
            return 1
    try:
        check_receipts_agree(receipts)
    except LogCheckError as problem:
        print(f"FAILED: {problem}")
        return 1
    for receipt in receipts:
        entry = receipt.entry
        what = "a signature" if entry["kind"].startswith("signature.") else "an organisation's sign-on"
        print(
            f"{receipt.path}: OK. Statement {entry['statement']}: {what}, {entry['kind']} "
            f"({event_words(entry)}{reason_words(entry)}), country {entry['country'] or 'not given'}, "
            f"{when(entry['at'])}. "
            f"It is entry {receipt.entry_index} of the log {receipt.origin} in its tree of "
            f"{counted(receipt.size, 'entry', 'entries')}, {signed_by(receipt.witnesses)}."
        )
    if len(receipts) > 1:
        print(together(receipts))
    return 0


def check_receipts_agree(receipts: list[Receipt]) -> None:
    """Several receipts must be of one signature, and their checkpoints must not contradict each other."""
    if len({r.entry["subject"] for r in receipts}) > 1 or len({r.entry["statement"] for r in receipts}) > 1:
        raise LogCheckError("the receipts are of different signatures: their commitments differ")
    roots: dict[int, bytes] = {}
    entries: dict[int, dict[str, Any]] = {}
    for receipt in receipts:
        if roots.setdefault(receipt.size, receipt.root) != receipt.root:
            raise LogCheckError(f"two checkpoints of {receipt.size} entries with different roots: the log forked")
        if entries.setdefault(receipt.entry_index, receipt.entry) != receipt.entry:
            raise LogCheckError(f"two receipts hold different entries at index {receipt.entry_index}: the log forked")


def together(receipts: list[Receipt]) -> str:
    """What the events mean in the log's order: counted, removed, counted again."""
    events = sorted({r.entry_index: r.entry for r in receipts}.items())
    story = [
        f"{event_words(entry)} on {when(entry['at'])} (entry {index}{reason_words(entry)})" for index, entry in events
    ]
    balance = sum(EFFECTS.get(entry["kind"], ("", 0))[1] for _index, entry in events)
    if balance > 0:
        now = "counted"
    elif any(EFFECTS.get(entry["kind"], ("", 0))[1] > 0 for _index, entry in events):
        now = "no longer counted"
    else:
        now = "not counted"
    largest = max(r.size for r in receipts)
    what = "signature" if events[0][1]["kind"].startswith("signature.") else "sign-on"
    return (
        f"Together, this {what} on statement {events[0][1]['statement']} was {', then '.join(story)}. "
        f"As of the log's tree of {counted(largest, 'entry', 'entries')} and these receipts, it is {now}."
    )


# --- Counts: every entry of the log, fetched as tlog-tiles, re-hashed and re-counted ------------

BUNDLE_WIDTH = 256
MAX_BUNDLE_BYTES = BUNDLE_WIDTH * (2 + 0xFFFF)
PREFETCH = 8  # entry bundles fetched ahead of the hashing: enough to hide a round trip, little memory
# Fetching threads: enough to overlap round trips. More make it slower: each thread takes the GIL
# back from the hashing for every read on its socket, and waits for it each time.
FETCHERS = 4

LogReader = Callable[[str], "bytes | None"]


def log_reader(location: str) -> LogReader:
    """A function reading a path of the log (``checkpoint``, ``tile/entries/000``) from a URL prefix
    or a directory holding the same paths; None when the log has no such file."""
    if location.startswith(("http://", "https://")):
        prefix = location.rstrip("/") + "/"

        def read_url(path: str) -> bytes | None:
            request = urllib.request.Request(prefix + path, headers={"User-Agent": "verify_statement.py"})  # noqa: S310 (http or https, checked above)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
                    data: bytes = response.read(MAX_BUNDLE_BYTES + 1)
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                raise LogCheckError(f"{prefix + path}: HTTP {error.code}") from None
            except (urllib.error.URLError, OSError) as error:
                raise LogCheckError(f"{prefix + path}: {error}") from None
            return data

        return read_url
    if "://" in location:
        raise LogCheckError(f"the log is read over http or https, or from a directory: {location!r}")

    def read_file(path: str) -> bytes | None:
        try:
            with open(os.path.join(location, *path.split("/")), "rb") as file:
                return file.read(MAX_BUNDLE_BYTES + 1)
        except FileNotFoundError:
            return None

    return read_file


def tile_index_path(index: int) -> str:
    """1234067 → ``x001/x234/067`` (tlog-tiles)."""
    groups = f"{index:,}".split(",")
    return "/".join([*(f"x{int(group):03d}" for group in groups[:-1]), f"{int(groups[-1]):03d}"])


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries, at, end = [], 0, len(data)
    while at < end:
        if at + 2 > end:
            raise LogCheckError("an entry bundle ends inside an entry's length")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > end:
            raise LogCheckError("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


def read_entry_bundle(read: LogReader, number: int, width: int) -> list[bytes]:
    """The entries of bundle ``number``, exactly ``width`` of them. A partial bundle the log no longer
    serves is read from the full one that replaced it (tlog-tiles allows it)."""
    full = f"tile/entries/{tile_index_path(number)}"
    path = full if width == BUNDLE_WIDTH else f"{full}.p/{width}"
    data = read(path)
    if data is None and width < BUNDLE_WIDTH:
        data = read(full)
        path = full
    if data is None:
        raise LogCheckError(f"the log does not serve {path}")
    if len(data) > MAX_BUNDLE_BYTES:
        raise LogCheckError(f"{path} is larger than any bundle of {BUNDLE_WIDTH} entries")
    entries = parse_entry_bundle(data)
    if len(entries) < width or (len(entries) > width and path != full) or len(entries) > BUNDLE_WIDTH:
        raise LogCheckError(f"{path} holds {counted(len(entries), 'entry', 'entries')}; the checkpoint needs {width}")
    return entries[:width]


def log_entries(read: LogReader, size: int) -> Iterator[bytes]:
    """Every entry of a tree of ``size``, in order, fetching a few bundles ahead."""
    bundles = (size + BUNDLE_WIDTH - 1) // BUNDLE_WIDTH
    with ThreadPoolExecutor(max_workers=FETCHERS) as pool:
        ahead: collections.deque[Future[list[bytes]]] = collections.deque()
        for number in range(bundles):
            width = min(BUNDLE_WIDTH, size - number * BUNDLE_WIDTH)
            ahead.append(pool.submit(read_entry_bundle, read, number, width))
            if len(ahead) >= PREFETCH:
                yield from ahead.popleft().result()
        while ahead:
            yield from ahead.popleft().result()


class TreeHasher:
    """RFC 6962's root of the entries added so far, in memory logarithmic in their number: the
    roots of the complete subtrees, largest first, merged as each one completes."""

    def __init__(self) -> None:
        self.size = 0
        self.subtrees: list[bytes] = []

    def add(self, leaf: bytes) -> None:
        subtrees, size = self.subtrees, self.size
        subtrees.append(leaf)
        while size & 1:
            right = subtrees.pop()
            subtrees[-1] = node_hash(subtrees[-1], right)
            size >>= 1
        self.size += 1

    def root(self) -> bytes:
        if not self.subtrees:
            return hashlib.sha256(b"").digest()
        root = self.subtrees[-1]
        for left in reversed(self.subtrees[:-1]):
            root = node_hash(left, root)
        return root


class StatementTally:
    def __init__(self) -> None:
        self.counts = empty_counts()
        self.entries = 0
        self.seq = 0
        self.chain = GENESIS
        self.at_head: tuple[dict[str, Any], str] | None = None  # counts and chain at the head's seq


def count_log(
    read: LogReader, size: int, root: bytes, since: tuple[int, bytes] | None, head: dict[str, Any] | None
) -> dict[str, StatementTally]:
    """Reads the log's ``size`` entries once: recomputes the root (and, with ``since``, the root of
    the first entries, to compare with an older checkpoint) and every statement's counts."""
    tree = TreeHasher()
    tallies: dict[str, StatementTally] = {}
    head_statement, head_seq = (head.get("statement"), head.get("seq")) if head else (None, None)
    for index, entry_bytes in enumerate(log_entries(read, size)):
        if since is not None and index == since[0]:
            check_since(since, tree.root())
        tree.add(hashlib.sha256(b"\x00" + entry_bytes).digest())
        try:
            entry = parse_log_entry(entry_bytes.decode("utf-8"))
        except ValueError:
            raise LogCheckError(f"entry {index} is not an entry of the site's log") from None
        slug = entry["statement"]
        tally = tallies.get(slug)
        if tally is None:
            tally = tallies[slug] = StatementTally()
        if entry["seq"] != tally.seq + 1:
            raise LogCheckError(
                f"entry {index} is event {entry['seq']} of {slug}, which should be event {tally.seq + 1}: "
                "an event of this statement is missing from the log or repeated"
            )
        tally.seq, tally.chain = entry["seq"], entry["chain"]
        tally.entries += 1
        apply_effect(tally.counts, entry["kind"], entry["country"])
        if slug == head_statement and tally.seq == head_seq:
            tally.at_head = (json.loads(json.dumps(tally.counts)), tally.chain)
    if tree.size != size:
        raise LogCheckError(f"the log served {tree.size} entries; its checkpoint has {size}")
    if since is not None and since[0] == size:
        check_since(since, tree.root())
    if tree.root() != root:
        raise LogCheckError(
            "the entries do not hash to the checkpoint's root: an entry was changed, added, dropped or reordered"
        )
    return tallies


def check_since(since: tuple[int, bytes], root: bytes) -> None:
    if root != since[1]:
        raise LogCheckError(
            f"the first {counted(since[0], 'entry', 'entries')} do not hash to the older checkpoint's root: "
            "the log's history was rewritten"
        )


def compare_head(head: dict[str, Any], tally: StatementTally | None) -> None:
    slug, seq = head.get("statement"), head.get("seq", 0)
    if seq == 0:
        at_head: tuple[dict[str, Any], str] | None = (empty_counts(), GENESIS)
    else:
        at_head = tally.at_head if tally else None
    if at_head is None:
        last = tally.seq if tally else 0
        raise LogCheckError(f"the head of {slug} covers event {seq}; the log holds its events up to {last}")
    counts, chain = at_head
    if chain != head.get("hash"):
        raise LogCheckError(f"event {seq} of {slug} in the log has chain hash {chain}; the head's hash is different")
    for name in ("signatures", "organisations"):
        published = head.get("counts", {}).get(name)
        if published != counts[name]:
            raise LogCheckError(f"{slug}: published {name} {published}; the log gives {counts[name]}")


def describe_counts(slug: str, tally: StatementTally | None) -> str:
    counts = tally.counts if tally else empty_counts()

    def one(name: str, singular: str, plural: str) -> str:
        by_country = counts[name]["by_country"]
        countries = ", ".join(f"{country or '?'} {n}" for country, n in sorted(by_country.items()))
        return counted(counts[name]["total"], singular, plural) + (f" ({countries})" if countries else "")

    events = counted(tally.entries if tally else 0, "event", "events")
    return f"{slug}: {one('signatures', 'signature', 'signatures')}; " + (
        f"{one('organisations', 'organisation', 'organisations')}; {events} in the log"
    )


def counts_main(arguments: argparse.Namespace) -> int:
    try:
        read = log_reader(arguments.location)
        head = None
        if arguments.head:
            with open(arguments.head, encoding="utf-8") as head_file:
                head = json.load(head_file)
            if not isinstance(head, dict) or not isinstance(head.get("statement"), str):
                raise LogCheckError(f"{arguments.head} is not a statement's published head")
            if arguments.statement and arguments.statement != head["statement"]:
                raise LogCheckError(f"{arguments.head} is the head of {head['statement']}, not {arguments.statement}")
        data = read("checkpoint")
        if data is None:
            raise LogCheckError(f"{arguments.location} serves no checkpoint")
        origin, size, root, witnesses = open_trusted_checkpoint(data, arguments)
        since = None
        if arguments.since:
            _origin, old_size, old_root, _witnesses = open_checkpoint(_read(arguments.since), arguments.log, [])
            if old_size > size:
                raise LogCheckError(f"the older checkpoint has {old_size} entries; the log's has only {size}")
            since = (old_size, old_root)
        tallies = count_log(read, size, root, since, head)
        if head is not None:
            compare_head(head, tallies.get(head["statement"]))
    except (LogCheckError, OSError, ValueError) as problem:
        print(f"FAILED: {problem}")
        return 1
    wanted = arguments.statement or (head["statement"] if head else None)
    slugs = [wanted] if wanted else sorted(tallies)
    if arguments.json:
        print(
            canonical_json(
                {
                    "origin": origin,
                    "size": size,
                    "statements": {
                        slug: {
                            **(tallies[slug].counts if slug in tallies else empty_counts()),
                            "events": tallies[slug].entries if slug in tallies else 0,
                        }
                        for slug in slugs
                    },
                }
            )
        )
        return 0
    print(f"{origin}: {counted(size, 'entry', 'entries')}, {signed_by(witnesses)}")
    print(f"OK: the root recomputed from the {counted(size, 'entry', 'entries')} is the checkpoint's")
    if since is not None:
        print(f"OK: the first {counted(since[0], 'entry', 'entries')} hash to the older checkpoint's root")
    if head is not None:
        print(f"OK: the counts and chain hash at event {head.get('seq', 0)} of {head['statement']} are the head's")
    for slug in slugs:
        print(describe_counts(slug, tallies.get(slug)))
    return 0


# --- Command line of the log's commands --------------------------------------------------------


def _log_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="verify_statement.py")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, files in (
        ("checkpoint", ["checkpoint"]),
        ("consistency", ["older", "newer", "proof"]),
        ("receipt", []),
        ("counts", []),
    ):
        command = commands.add_parser(name)
        for file in files:
            command.add_argument(file)
        if name == "receipt":
            command.add_argument("receipts", nargs="+", metavar="RECEIPT.tlog-proof")
        if name == "counts":
            command.add_argument("location", metavar="LOG", help="the log's URL prefix, or a directory mirroring it")
            command.add_argument("--statement", help="the statement's slug: print only its counts")
            command.add_argument("--head", help="a statement's head.json, to compare with the log")
            command.add_argument("--since", help="an older checkpoint you trusted: the log must extend it")
            command.add_argument("--json", action="store_true", help="print the counts as JSON")
        command.add_argument("--log", required=True, help="the log's verifier key")
        command.add_argument("--witness", action="append", default=[], help="a witness's verifier key")
        command.add_argument("--quorum", type=int, default=0, help="how many witnesses must have cosigned")
    return parser.parse_args(argv)


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def log_main(argv: list[str]) -> int:
    arguments = _log_arguments(argv)
    if arguments.command == "receipt":
        return receipt_main(arguments)
    if arguments.command == "counts":
        return counts_main(arguments)
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
            print(f"{path}: {origin} at {counted(size, 'entry', 'entries')}, {signed_by(witnesses)}")
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
