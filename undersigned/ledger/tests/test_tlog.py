"""The log's formats against their definitions: the tree against RFC 6962's recursive MTH, the
proofs against the RFC's recursive PATH and PROOF and its verification algorithms, tiles against
the tlog-tiles example, notes against the signed-note spec's own example."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.ledger import tlog


class MemoryLog:
    """Stored hashes in a list, appended as a log does."""

    def __init__(self, entries: list[bytes] | None = None) -> None:
        self.hashes: list[bytes] = []
        self.size = 0
        for entry in entries or []:
            self.append(entry)

    def read(self, indexes):
        return [self.hashes[i] for i in indexes]

    def append(self, entry: bytes) -> None:
        assert len(self.hashes) == tlog.stored_hash_count(self.size)
        self.hashes.extend(tlog.stored_hashes_for_leaf(self.size, tlog.leaf_hash(entry), self.read))
        self.size += 1


def mth(entries: list[bytes]) -> bytes:
    """RFC 6962, 2.1, word for word."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return tlog.leaf_hash(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return tlog.node_hash(mth(entries[:k]), mth(entries[k:]))


def path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, entries[:k], whole), mth(entries[k:])]
    return [*subproof(m - k, entries[k:], False), mth(entries[:k])]


ENTRIES = [f"entry {i}".encode() for i in range(300)]
LOG = MemoryLog(ENTRIES)


def test_every_root_up_to_300_is_rfc_6962s():
    prefix_log = MemoryLog()
    for size in range(0, 301):
        assert tlog.tree_hash(size, LOG.read) == mth(ENTRIES[:size]), size
        if size:
            prefix_log.append(ENTRIES[size - 1])
            assert prefix_log.hashes == LOG.hashes[: tlog.stored_hash_count(size)]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300).flatmap(lambda size: st.tuples(st.just(size), st.integers(0, size - 1))))
def test_inclusion_proofs_are_the_rfcs_path_and_verify(case):
    size, index = case
    proof = tlog.inclusion_proof(index, size, LOG.read)
    assert proof == path(index, ENTRIES[:size])
    tlog.verify_inclusion(tlog.leaf_hash(ENTRIES[index]), index, size, proof, mth(ENTRIES[:size]))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300).flatmap(lambda new: st.tuples(st.integers(0, new), st.just(new))))
def test_consistency_proofs_are_the_rfcs_and_verify(case):
    old, new = case
    proof = tlog.consistency_proof(old, new, LOG.read)
    expected = [] if old in (0, new) else subproof(old, ENTRIES[:new], True)
    assert proof == expected
    tlog.verify_consistency(old, new, proof, mth(ENTRIES[:old]), mth(ENTRIES[:new]))


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300).flatmap(lambda size: st.tuples(st.just(size), st.integers(0, size - 1))), st.data())
def test_a_changed_proof_leaf_or_root_is_refused(case, data):
    size, index = case
    proof = tlog.inclusion_proof(index, size, LOG.read)
    root = tlog.tree_hash(size, LOG.read)
    leaf = tlog.leaf_hash(ENTRIES[index])
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(tlog.leaf_hash(b"forged"), index, size, proof, root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(leaf, index, size, proof, hashlib.sha256(b"other root").digest())
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bent = list(proof)
        bent[position] = hashlib.sha256(bent[position]).digest()
        with pytest.raises(tlog.ProofError):
            tlog.verify_inclusion(leaf, index, size, bent, root)
        with pytest.raises(tlog.ProofError):
            tlog.verify_inclusion(leaf, index, size, proof[:-1], root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(leaf, index, size, [*proof, root], root)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300).flatmap(lambda new: st.tuples(st.integers(1, new - 1), st.just(new))))
def test_a_rewritten_history_fails_the_consistency_proof(case):
    old, new = case
    rewritten = [*ENTRIES[: old - 1], b"rewritten", *ENTRIES[old:new]]
    proof = tlog.consistency_proof(old, new, MemoryLog(rewritten).read)
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(old, new, proof, mth(ENTRIES[:old]), mth(rewritten))


def test_equal_sizes_with_two_roots_are_a_fork():
    with pytest.raises(tlog.ProofError, match="forked"):
        tlog.verify_consistency(5, 5, [], mth(ENTRIES[:5]), mth(ENTRIES[1:6]))


def test_tiles_of_70000_leaves_are_the_specs_example():
    tiles = tlog.tiles_for_size(70_000)
    level0 = [t for t in tiles if t.level == 0]
    assert len([t for t in level0 if t.width == 256]) == 273
    assert [t.width for t in level0 if t.width != 256] == [112]
    assert [(t.level, t.width) for t in tiles if t.level > 0] == [(1, 256), (1, 17), (2, 1)]
    assert [(t.level, t.width) for t in tlog.tiles_for_size(256)] == [(0, 256), (1, 1)]


@pytest.mark.parametrize(
    ("index", "path"), [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")]
)
def test_tile_index_paths(index, path):
    assert tlog.tile_index_path(index) == path
    assert tlog.parse_tile_path(f"tile/3/{path}.p/5") == tlog.Tile(3, index, 5)
    assert tlog.parse_tile_path(f"tile/entries/{path}") == tlog.Tile(-1, index, 256)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/x000/001",
        "tile/64/000",
        "tile/01/000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "x/0/000",
        "tile/0/x1/000",
    ],
)
def test_non_canonical_tile_paths_are_refused(path):
    with pytest.raises(tlog.ProofError):
        tlog.parse_tile_path(path)


def test_a_full_tile_hashes_to_the_level_above():
    tile = tlog.tile_data(tlog.Tile(0, 0, 256), LOG.read)
    assert len(tile) == 256 * 32
    hashes = [tile[i : i + 32] for i in range(0, len(tile), 32)]
    assert hashes == [tlog.leaf_hash(e) for e in ENTRIES[:256]]
    (upper,) = [tlog.tile_data(tlog.Tile(1, 0, 1), LOG.read)]
    assert upper == mth(ENTRIES[:256])


def test_entry_bundles_round_trip():
    bundle = tlog.entry_bundle(ENTRIES[:5] + [b""])
    assert tlog.parse_entry_bundle(bundle) == [*ENTRIES[:5], b""]
    with pytest.raises(tlog.ProofError):
        tlog.parse_entry_bundle(bundle[:-3])


def test_the_signed_note_specs_example_verifies():
    verifier = tlog.Verifier.from_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = tlog.parse_note(
        "This is an example message.\n\n"
        "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYj"
        "OBH3mFXmRKuwHjG1Yu72IneyaQM=\n".encode()
    )
    (signature,) = tlog.verify_note(note, [verifier])
    assert signature.verifier == verifier
    forged = tlog.Note(text=b"This is another message.\n", signatures=note.signatures)
    with pytest.raises(tlog.ProofError):
        tlog.verify_note(forged, [verifier])


def test_a_checkpoint_with_cosignatures_opens_and_another_keys_does_not():
    log = tlog.Signer("statements.example.org/log", Ed25519PrivateKey.generate())
    witness = tlog.Signer("witness.example/w1", Ed25519PrivateKey.generate())
    stranger = tlog.Signer("statements.example.org/log", Ed25519PrivateKey.generate())
    checkpoint = tlog.Checkpoint(log.name, LOG.size, tlog.tree_hash(LOG.size, LOG.read))
    text = checkpoint.text()
    signed = text + b"\n" + (log.sign_line(text) + witness.cosign_line(text, 1_765_000_000)).encode()
    witness_key = tlog.Verifier(witness.name, tlog.COSIGNATURE_V1, witness.verifier.public_key)
    opened, signatures = tlog.open_checkpoint(signed, log.verifier, [witness_key])
    assert opened == checkpoint
    assert [(s.verifier.name, s.timestamp) for s in signatures] == [(log.name, None), (witness.name, 1_765_000_000)]
    by_stranger = text + b"\n" + stranger.sign_line(text).encode()
    with pytest.raises(tlog.ProofError):
        tlog.open_checkpoint(by_stranger, log.verifier)
    assert tlog.parse_checkpoint(text) == checkpoint
    assert base64.b64decode(text.split(b"\n")[2]) == checkpoint.root


def test_a_proof_file_round_trips():
    log = tlog.Signer("statements.example.org/log", Ed25519PrivateKey.generate())
    text = tlog.Checkpoint(log.name, 10, tlog.tree_hash(10, LOG.read)).text()
    signed = text + b"\n" + log.sign_line(text).encode()
    proof = tlog.ProofFile(index=3, proof=tuple(tlog.inclusion_proof(3, 10, LOG.read)), checkpoint=signed, extra=b"k")
    parsed = tlog.parse_proof_file(proof.serialise())
    assert parsed == proof
    checkpoint, _ = tlog.open_checkpoint(parsed.checkpoint, log.verifier)
    tlog.verify_inclusion(tlog.leaf_hash(ENTRIES[3]), parsed.index, checkpoint.size, parsed.proof, checkpoint.root)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"c2sp.org/tlog-proof@v1\nindex 01\n\nx",
        b"c2sp.org/tlog-proof@v2\nindex 1\n\nx",
        b"c2sp.org/tlog-proof@v1\nindex 1\n!!\n\nx",
    ],
)
def test_malformed_proof_files_are_refused(data):
    with pytest.raises(tlog.ProofError):
        tlog.parse_proof_file(data)
