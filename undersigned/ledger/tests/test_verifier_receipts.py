"""tools/verify_statement.py on receipts and on the whole log: a signer's receipt proves its event
in plain words and fails with the reason when anything in it was changed; ``counts`` re-reads a log
written by the log library (from a directory and over HTTP on loopback), recomputes its root and
every statement's counts, and catches an edited or dropped entry, a rewritten history and a
checkpoint signed by another key. No database: the logs are built with the library alone."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undersigned.ledger import tlog
from undersigned.ledger.chain import apply, chain_hash, empty_counts
from undersigned.ledger.tests.test_tlog import MemoryLog
from undersigned.ledger.tests.test_verifier_checkpoints import LOG, ORIGIN, SCRIPT, WITNESSES, witness_vkey

SYSTEM_PYTHON = Path("/usr/bin/python3")
STATEMENTS = ["safe-cycling-lanes", "clean-air-near-schools", "open-libraries-on-sunday"]
COUNTRIES = ["FR", "ES", "MA", "SN", "DE", "TR", "SY", "AF", "UA", "CO"]
REASON = "the same person signed twice"
IMPOSTOR = tlog.Signer(ORIGIN, Ed25519PrivateKey.generate())  # another key with the log's name


# --- Building a site's log with the library ----------------------------------------------------


def commitment(secret: bytes) -> str:
    return hashlib.sha256(b"undersigned receipt v1\n" + secret).hexdigest()


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event(statement: str, kind: str, subject: str, country: str, number: int, detail: dict | None = None) -> dict:
    """An event before it is chained; ``number`` spreads the events over a day and more."""
    at = f"2026-12-{6 + number // 86_400 % 20:02d}T{number // 3600 % 24:02d}:{number // 60 % 60:02d}:{number % 60:02d}"
    return {
        "statement": statement,
        "kind": kind,
        "subject": subject,
        "country": country,
        "detail": detail or {},
        "at": at + f".{number % 1_000_000:06d}Z",
    }


def chained(events: Iterable[dict]) -> Iterator[bytes]:
    """The log entries of ``events``: each statement's seq and chain hash, as the site seals them."""
    heads: dict[str, tuple[int, str]] = {}
    for body in events:
        seq, prev = heads.get(body["statement"], (0, "0" * 64))
        body = {**body, "seq": seq + 1}
        chain = chain_hash(prev, body)
        heads[body["statement"]] = (seq + 1, chain)
        yield canonical({**body, "chain": chain})


def event_secret(seed: int, number: int) -> bytes:
    """The secret of the signature or sign-on that ``random_events`` starts at ``number``."""
    return hashlib.sha256(f"receipt secret {seed} {number}".encode()).digest()


def random_events(count: int, seed: int) -> Iterator[dict]:
    """A site's life: mostly signatures confirmed, some withdrawn, removed by moderators and
    restored, held and dismissed, organisations signing on and off, milestones."""
    generator = random.Random(seed)
    counted: dict[str, list[tuple[str, str]]] = {slug: [] for slug in STATEMENTS}
    organisations: dict[str, list[tuple[str, str]]] = {slug: [] for slug in STATEMENTS}
    removed: list[tuple[str, str, str]] = []
    for number in range(count):
        slug = generator.choice(STATEMENTS)
        roll = generator.random()
        signatures = counted[slug]
        if roll < 0.80 or not signatures:
            subject, country = commitment(event_secret(seed, number)), generator.choice(COUNTRIES)
            kind = "signature.confirmed" if roll < 0.78 else "signature.held"
            if kind == "signature.confirmed":
                signatures.append((subject, country))
            yield event(slug, kind, subject, country, number)
        elif roll < 0.88:
            at = generator.randrange(len(signatures))
            signatures[at], signatures[-1] = signatures[-1], signatures[at]
            subject, country = signatures.pop()
            if roll < 0.85:
                yield event(slug, "signature.withdrawn", subject, country, number)
            else:
                removed.append((slug, subject, country))
                yield event(slug, "signature.invalidated", subject, country, number, {"reason": REASON})
        elif roll < 0.90 and removed:
            slug, subject, country = removed.pop()
            counted[slug].append((subject, country))
            yield event(slug, "signature.restored", subject, country, number, {"reason": "checked by phone"})
        elif roll < 0.945 or (roll < 0.96 and not organisations[slug]):
            subject, country = commitment(event_secret(seed, number)), generator.choice(COUNTRIES)
            kind = "sign_on.approved" if roll < 0.935 else "sign_on.rejected"
            if kind == "sign_on.approved":
                organisations[slug].append((subject, country))
            yield event(slug, kind, subject, country, number)
        elif roll < 0.96:
            subject, country = organisations[slug].pop(0)
            yield event(slug, "sign_on.withdrawn", subject, country, number)
        else:
            yield event(slug, "milestone.reached", f"milestone-{number}", "", number, {"count": number})


def signed_checkpoint(log: MemoryLog, size: int, *, signer: tlog.Signer = LOG, cosigners=WITNESSES[:2]) -> bytes:
    text = tlog.Checkpoint(ORIGIN, size, tlog.tree_hash(size, log.read)).text()
    lines = signer.sign_line(text) + "".join(w.cosign_line(text, 1_765_000_000 + size) for w in cosigners)
    return text + b"\n" + lines.encode()


def write_log(directory: Path, entries: Iterable[bytes], **signing: Any) -> MemoryLog:
    """Serves ``entries`` as the site does, as files under ``directory``: entry bundles (written as
    they fill, so a long log never sits in memory), every tile, and the signed checkpoint."""
    log, bundle = MemoryLog(), []
    for entry in entries:
        log.append(entry)
        bundle.append(entry)
        if len(bundle) == tlog.TILE_WIDTH:
            write_file(directory / tlog.Tile(0, log.size // tlog.TILE_WIDTH - 1, tlog.TILE_WIDTH).entries_path, bundle)
            bundle = []
    if bundle:
        write_file(directory / tlog.Tile(0, log.size // tlog.TILE_WIDTH, len(bundle)).entries_path, bundle)
    for tile in tlog.tiles_for_size(log.size):
        path = directory / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tlog.tile_data(tile, log.read))
    (directory / "checkpoint").write_bytes(signed_checkpoint(log, log.size, **signing))
    return log


def write_file(path: Path, entries: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tlog.entry_bundle(entries))


def receipt(log: MemoryLog, index: int, entry: bytes, secret: bytes, checkpoint: bytes) -> bytes:
    size = tlog.parse_checkpoint(tlog.parse_note(checkpoint).text).size
    extra = canonical({"entry": entry.decode(), "secret": secret.hex()})
    return tlog.ProofFile(index, tuple(tlog.inclusion_proof(index, size, log.read)), checkpoint, extra).serialise()


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """``directory`` (named log) over HTTP on loopback, at /log/ as the site serves it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/log/"
    finally:
        server.shutdown()
        server.server_close()


def run(*arguments: str, python: str = sys.executable, witnesses=WITNESSES) -> subprocess.CompletedProcess:
    keys = [argument for witness in witnesses for argument in ("--witness", witness_vkey(witness))]
    return subprocess.run(  # our own script, isolated from the project (-I)
        [python, "-I", str(SCRIPT), *arguments, "--log", LOG.verifier.vkey, *keys],
        capture_output=True,
        text=True,
        check=False,
    )


def load_tool():
    """The script as a module, to call its functions in the test's own process."""
    spec = importlib.util.spec_from_file_location("verify_statement", SCRIPT)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


TOOL = load_tool()


# --- One site's log: alice's signature is counted then removed by moderators, bob withdraws -----

ALICE, BOB = b"a" * 32, b"b" * 32
SIZE = 700  # two full entry bundles and a partial one


@dataclass(frozen=True)
class SiteLog:
    directory: Path
    log: MemoryLog
    entries: list[bytes]


def site_events() -> list[dict]:
    events = list(random_events(SIZE - 4, seed=7))
    alice = ("safe-cycling-lanes", commitment(ALICE), "FR")
    bob = ("safe-cycling-lanes", commitment(BOB), "SN")
    events.insert(0, event(*alice[:1], "signature.confirmed", *alice[1:], 0))
    events.insert(1, event(*bob[:1], "signature.confirmed", *bob[1:], 1))
    events.insert(300, event(*bob[:1], "signature.withdrawn", *bob[1:], 300))
    events.insert(450, event(*alice[:1], "signature.invalidated", *alice[1:], 450, {"reason": REASON}))
    return events


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> SiteLog:
    directory = tmp_path_factory.mktemp("log") / "log"
    entries = list(chained(site_events()))
    return SiteLog(directory, write_log(directory, entries), entries)


def write_receipt(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / f"{name}.tlog-proof"
    path.write_bytes(data)
    return str(path)


# --- Receipts ------------------------------------------------------------------------------------


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no system Python")
def test_a_receipt_says_what_it_proves_with_the_systems_python_and_cryptography_alone(site, tmp_path):
    checkpoint = (site.directory / "checkpoint").read_bytes()
    path = write_receipt(tmp_path, "alice", receipt(site.log, 0, site.entries[0], ALICE, checkpoint))
    result = run("receipt", path, "--quorum", "2", python=str(SYSTEM_PYTHON))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        f"{path}: OK. Statement safe-cycling-lanes: a signature, signature.confirmed (counted), country FR, "
        f"2026-12-06 00:00:00 UTC. It is entry 0 of the log {ORIGIN} in its tree of 700 entries, "
        "signed by the log, cosigned by witness0.example/w, witness1.example/w."
    )


def test_receipts_of_one_signature_say_together_that_it_was_counted_then_removed_and_why(site, tmp_path):
    early = signed_checkpoint(site.log, 100)  # the receipt the signer got when confirming
    confirmed = write_receipt(tmp_path, "confirmed", receipt(site.log, 0, site.entries[0], ALICE, early))
    now = (site.directory / "checkpoint").read_bytes()
    removed = write_receipt(tmp_path, "removed", receipt(site.log, 450, site.entries[450], ALICE, now))
    result = run("receipt", removed, confirmed, "--quorum", "2")
    assert result.returncode == 0, result.stdout
    assert "signature.invalidated (removed by the site's moderators; reason: the same person signed twice)" in (
        result.stdout
    )
    assert result.stdout.splitlines()[-1] == (
        "Together, this signature on statement safe-cycling-lanes was counted on 2026-12-06 00:00:00 UTC "
        "(entry 0), then removed by the site's moderators on 2026-12-06 00:07:30 UTC (entry 450; reason: "
        f"{REASON}). As of the log's tree of 700 entries and these receipts, it is no longer counted."
    )
    bob = [write_receipt(tmp_path, f"bob{i}", receipt(site.log, i, site.entries[i], BOB, now)) for i in (1, 300)]
    withdrawn = run("receipt", *bob)
    assert withdrawn.returncode == 0, withdrawn.stdout
    assert "then removed: withdrawn by its signer on" in withdrawn.stdout
    assert withdrawn.stdout.endswith("it is no longer counted.\n")


def edited_entry(site: SiteLog, checkpoint: bytes) -> bytes:
    entry = site.entries[0].replace(b'"country":"FR"', b'"country":"ES"')
    assert entry != site.entries[0]
    return receipt(site.log, 0, entry, ALICE, checkpoint)


def proof_from_another_tree(site: SiteLog, checkpoint: bytes) -> bytes:
    other = MemoryLog([site.entries[0], *(b"another site's event %d" % n for n in range(SIZE - 1))])
    return receipt(other, 0, site.entries[0], ALICE, checkpoint)


def proof_for_another_size(site: SiteLog, checkpoint: bytes) -> bytes:
    good = tlog.parse_proof_file(receipt(site.log, 0, site.entries[0], ALICE, checkpoint))
    return tlog.ProofFile(0, good.proof, signed_checkpoint(site.log, 500), good.extra).serialise()


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (edited_entry, "the inclusion proof does not lead from this entry at index 0 to the checkpoint's root"),
        (lambda site, cp: receipt(site.log, 0, site.entries[0], BOB, cp), "the secret does not match"),
        (proof_from_another_tree, "the entry was changed, or the proof is of another tree"),
        (proof_for_another_size, "the inclusion proof is too"),
        (
            lambda site, cp: receipt(
                site.log, 0, site.entries[0], ALICE, signed_checkpoint(site.log, SIZE, signer=IMPOSTOR)
            ),
            "the log's key did not sign this checkpoint",
        ),
        (
            lambda site, cp: receipt(
                site.log, 0, site.entries[0], ALICE, signed_checkpoint(site.log, SIZE, cosigners=[])
            ),
            "0 of the witnesses named cosigned; the quorum is 2",
        ),
        (lambda site, cp: receipt(site.log, 0, site.entries[5], ALICE, cp), "the secret does not match"),
        (lambda site, cp: b"c2sp.org/tlog-proof@v1\nindex 0\n\n" + cp, "does not hold its entry and secret"),
    ],
    ids=["edited entry", "wrong secret", "another tree", "another size", "another key", "no quorum", "other", "bare"],
)
def test_a_forged_receipt_fails_with_its_reason(site, tmp_path, forge, reason):
    checkpoint = (site.directory / "checkpoint").read_bytes()
    result = run("receipt", write_receipt(tmp_path, "forged", forge(site, checkpoint)), "--quorum", "2")
    assert result.returncode == 1, result.stdout
    (line,) = result.stdout.splitlines()
    assert line.startswith("FAILED: ") and reason in line, line


def test_receipts_of_two_signatures_or_of_a_forked_log_are_refused_together(site, tmp_path):
    checkpoint = (site.directory / "checkpoint").read_bytes()
    alice = write_receipt(tmp_path, "alice", receipt(site.log, 0, site.entries[0], ALICE, checkpoint))
    bob = write_receipt(tmp_path, "bob", receipt(site.log, 1, site.entries[1], BOB, checkpoint))
    result = run("receipt", alice, bob)
    assert result.returncode == 1 and "the receipts are of different signatures" in result.stdout
    fork = MemoryLog([site.entries[0], *site.entries[2:SIZE], b"a different last event"])
    forked = write_receipt(tmp_path, "fork", receipt(fork, 0, site.entries[0], ALICE, signed_checkpoint(fork, SIZE)))
    result = run("receipt", alice, forked)
    assert result.returncode == 1 and "two checkpoints of 700 entries with different roots" in result.stdout


# --- Counts from the whole log -----------------------------------------------------------------


def counts_of(entries: Iterable[bytes]) -> dict[str, Any]:
    """Each statement's counts, by the site's own ``chain.apply``: what the tool must find."""
    statements: dict[str, Any] = {}
    for raw in entries:
        entry = json.loads(raw)
        counts = statements.setdefault(entry["statement"], {**empty_counts(), "events": 0})
        apply(counts, entry["kind"], entry["country"])
        counts["events"] += 1
    return statements


def test_counts_recomputed_from_the_tiles_are_the_sites_from_a_directory_and_over_http(site):
    expected: dict[str, Any] = {"origin": ORIGIN, "size": SIZE, "statements": counts_of(site.entries)}
    assert expected["statements"]["safe-cycling-lanes"]["signatures"]["total"] > 100
    from_directory = run("counts", str(site.directory), "--json", "--quorum", "2")
    assert from_directory.returncode == 0, from_directory.stdout
    assert json.loads(from_directory.stdout) == expected
    with served(site.directory) as url:
        over_http = run("counts", url, "--json", "--quorum", "2")
        assert over_http.returncode == 0, over_http.stdout
        assert json.loads(over_http.stdout) == expected
        one = run("counts", url, "--statement", "open-libraries-on-sunday")
    assert one.returncode == 0, one.stdout
    counts = expected["statements"]["open-libraries-on-sunday"]

    def by_country(name: str) -> str:
        return ", ".join(f"{country} {n}" for country, n in sorted(counts[name]["by_country"].items()))

    assert one.stdout.splitlines() == [
        f"{ORIGIN}: 700 entries, signed by the log, cosigned by witness0.example/w, witness1.example/w",
        "OK: the root recomputed from the 700 entries is the checkpoint's",
        f"open-libraries-on-sunday: {counts['signatures']['total']} signatures ({by_country('signatures')}); "
        f"{counts['organisations']['total']} organisations ({by_country('organisations')}); "
        f"{counts['events']} events in the log",
    ]


def head_of(site: SiteLog, slug: str, seq: int) -> dict[str, Any]:
    """The statement's head at event ``seq``, as the site publishes it in head.json."""
    counts, chain = empty_counts(), ""
    for raw in site.entries:
        entry = json.loads(raw)
        if entry["statement"] == slug and entry["seq"] <= seq:
            apply(counts, entry["kind"], entry["country"])
            chain = entry["chain"]
    return {"statement": slug, "seq": seq, "hash": chain, "counts": counts, "sealed_at": None}


def test_a_published_head_is_compared_with_the_log(site, tmp_path):
    head = tmp_path / "head.json"
    head.write_text(json.dumps(head_of(site, "safe-cycling-lanes", 120)))
    result = run("counts", str(site.directory), "--head", str(head))
    assert result.returncode == 0, result.stdout
    assert "OK: the counts and chain hash at event 120 of safe-cycling-lanes are the head's" in result.stdout
    inflated = head_of(site, "safe-cycling-lanes", 120)
    inflated["counts"]["signatures"]["total"] += 1
    head.write_text(json.dumps(inflated))
    result = run("counts", str(site.directory), "--head", str(head))
    assert result.returncode == 1 and "safe-cycling-lanes: published signatures" in result.stdout


def moved_to_another_country(raw: bytes) -> bytes:
    entry = json.loads(raw)
    entry["country"] = "ZZ"
    return canonical(entry)


def copy_log(site: SiteLog, tmp_path: Path) -> Path:
    return Path(shutil.copytree(site.directory, tmp_path / "log"))


def test_an_edited_entry_bundle_is_caught(site, tmp_path):
    directory = copy_log(site, tmp_path)
    bundle = directory / "tile/entries/001"
    entries = tlog.parse_entry_bundle(bundle.read_bytes())
    entries[10] = moved_to_another_country(entries[10])
    bundle.write_bytes(tlog.entry_bundle(entries))
    result = run("counts", str(directory))
    assert result.returncode == 1
    assert result.stdout == (
        "FAILED: the entries do not hash to the checkpoint's root: an entry was changed, added, dropped or reordered\n"
    )


def test_a_dropped_entry_is_caught_even_under_a_new_valid_checkpoint(site, tmp_path):
    directory = copy_log(site, tmp_path)
    bundle = directory / "tile/entries/000"
    bundle.write_bytes(tlog.entry_bundle(tlog.parse_entry_bundle(bundle.read_bytes())[1:]))
    result = run("counts", str(directory))
    assert result.returncode == 1 and "tile/entries/000 holds 255 entries; the checkpoint needs 256" in result.stdout
    # The log drops alice's confirmation and signs the shorter tree: her statement's events skip one.
    resigned = tmp_path / "resigned"
    write_log(resigned, site.entries[1:])
    result = run("counts", str(resigned))
    assert result.returncode == 1
    assert "entry 0 is event 2 of safe-cycling-lanes, which should be event 1" in result.stdout


def test_a_rewritten_history_under_a_new_valid_checkpoint_is_caught_against_an_older_one(site, tmp_path):
    older = tmp_path / "older-checkpoint"
    older.write_bytes(signed_checkpoint(site.log, 300))
    grown = list(chained([*site_events(), *random_events(100, seed=8)]))
    assert grown[:SIZE] == site.entries
    honest = tmp_path / "honest"
    write_log(honest, grown)
    result = run("counts", str(honest), "--since", str(older))
    assert result.returncode == 0, result.stdout
    assert "OK: the first 300 entries hash to the older checkpoint's root" in result.stdout
    # One early event moves to another country: every total still adds up, the history does not.
    rewritten = list(grown)
    rewritten[2] = moved_to_another_country(rewritten[2])
    write_log(tmp_path / "rewritten", rewritten)
    result = run("counts", str(tmp_path / "rewritten"), "--since", str(older))
    assert result.returncode == 1
    assert result.stdout == (
        "FAILED: the first 300 entries do not hash to the older checkpoint's root: the log's history was rewritten\n"
    )


def test_a_log_checkpoint_signed_by_another_key_or_short_of_witnesses_is_refused(site, tmp_path):
    directory = copy_log(site, tmp_path)
    (directory / "checkpoint").write_bytes(signed_checkpoint(site.log, SIZE, signer=IMPOSTOR))
    result = run("counts", str(directory))
    assert result.returncode == 1 and result.stdout == "FAILED: the log's key did not sign this checkpoint\n"
    result = run("counts", str(site.directory), "--quorum", "3")
    assert result.returncode == 1 and "2 of the witnesses named cosigned; the quorum is 3" in result.stdout


def test_a_log_that_grew_past_its_checkpoint_is_read_from_its_full_bundle(site, tmp_path):
    grown = list(chained([*site_events(), *random_events(768 - SIZE, seed=8)]))
    directory = tmp_path / "log"
    write_log(directory, grown)
    assert not (directory / "tile/entries/002.p/188").exists()
    (directory / "checkpoint").write_bytes(signed_checkpoint(MemoryLog(grown), SIZE))
    result = run("counts", str(directory), "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["statements"] == counts_of(site.entries)


def test_the_tools_tile_paths_are_the_librarys():
    for index in [0, 7, 999, 1000, 1001, 3906, 999_999, 1_000_000, 1_234_067]:
        assert TOOL.tile_index_path(index) == tlog.tile_index_path(index)
    tree = TOOL.TreeHasher()
    entries = [f"entry {i}".encode() for i in range(300)]
    log = MemoryLog()
    for entry in entries:
        tree.add(tlog.leaf_hash(entry))
        log.append(entry)
        assert tree.root() == tlog.tree_hash(log.size, log.read)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_receipt_changed_anywhere_is_refused_with_a_reason_never_a_crash(site, data):
    checkpoint = (site.directory / "checkpoint").read_bytes()
    good = receipt(site.log, 0, site.entries[0], ALICE, checkpoint)
    position = data.draw(st.integers(0, len(good) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=3))
    changed = good[:position] + replacement + good[position + 1 :]
    arguments = TOOL._log_arguments(["receipt", "-", "--log", LOG.verifier.vkey])
    try:
        opened = TOOL.open_receipt("-", changed, arguments)
    except (TOOL.LogCheckError, ValueError):
        return
    # What still opens says what the good receipt says: a change that does not alter the meaning
    # (a signature line of a key nobody asked about, say).
    assert (opened.entry, opened.entry_index, opened.size) == (json.loads(site.entries[0]), 0, SIZE)
