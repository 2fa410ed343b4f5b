"""tools/verify_statement.py on checkpoints: it opens what the log library signs, counts witnesses'
cosignatures against a quorum, checks consistency proofs, and catches a rewritten history, a
checkpoint signed by another key, an edited checkpoint and a witness's forged cosignature."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from undersigned.ledger import tlog
from undersigned.ledger.tests.test_tlog import MemoryLog

SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "verify_statement.py"
ORIGIN = "statements.example.org/log"
LOG = tlog.Signer(ORIGIN, Ed25519PrivateKey.generate())
WITNESSES = [tlog.Signer(f"witness{n}.example/w", Ed25519PrivateKey.generate()) for n in range(3)]
ENTRIES = [f"event {n}".encode() for n in range(100)]


def witness_vkey(witness: tlog.Signer) -> str:
    return tlog.Verifier(witness.name, tlog.COSIGNATURE_V1, witness.verifier.public_key).vkey


def checkpoint(log: MemoryLog, size: int, *, signer: tlog.Signer = LOG, cosigners=WITNESSES[:2]) -> bytes:
    text = tlog.Checkpoint(ORIGIN, size, tlog.tree_hash(size, log.read)).text()
    lines = signer.sign_line(text) + "".join(w.cosign_line(text, 1_765_000_000 + size) for w in cosigners)
    return text + b"\n" + lines.encode()


def run(tmp_path: Path, command: str, *files: bytes, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    paths = []
    for number, data in enumerate(files):
        path = tmp_path / f"file{number}.txt"
        path.write_bytes(data)
        paths.append(str(path))
    witnesses = [arg for w in WITNESSES for arg in ("--witness", witness_vkey(w))]
    return subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-I", str(SCRIPT), command, *paths, "--log", LOG.verifier.vkey, *witnesses, *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def proof_file(log: MemoryLog, old: int, new: int) -> bytes:
    return "".join(base64.b64encode(h).decode() + "\n" for h in tlog.consistency_proof(old, new, log.read)).encode()


def test_a_cosigned_checkpoint_meets_its_quorum(tmp_path):
    log = MemoryLog(ENTRIES)
    result = run(tmp_path, "checkpoint", checkpoint(log, 100), extra=("--quorum", "2"))
    assert result.returncode == 0, result.stdout
    assert "cosigned by witness0.example/w, witness1.example/w" in result.stdout
    short = run(tmp_path, "checkpoint", checkpoint(log, 100, cosigners=WITNESSES[:1]), extra=("--quorum", "2"))
    assert short.returncode == 1 and "1 of the witnesses named cosigned; the quorum is 2" in short.stdout


def test_a_newer_checkpoint_that_extends_the_older_passes(tmp_path):
    log = MemoryLog(ENTRIES)
    for old, new in [(1, 100), (37, 64), (64, 100), (99, 100), (100, 100)]:
        result = run(tmp_path, "consistency", checkpoint(log, old), checkpoint(log, new), proof_file(log, old, new))
        assert result.returncode == 0, (old, new, result.stdout)
        assert f"the tree of {new} extends the tree of {old}" in result.stdout


def test_a_rewritten_history_is_caught(tmp_path):
    log = MemoryLog(ENTRIES)
    rewritten = MemoryLog([*ENTRIES[:20], b"a different event", *ENTRIES[21:]])
    result = run(
        tmp_path, "consistency", checkpoint(log, 50), checkpoint(rewritten, 100), proof_file(rewritten, 50, 100)
    )
    assert result.returncode == 1 and "history was rewritten" in result.stdout
    fork = run(tmp_path, "consistency", checkpoint(log, 50), checkpoint(rewritten, 50), b"")
    assert fork.returncode == 1 and "forked" in fork.stdout


def test_a_dropped_entry_is_caught(tmp_path):
    log = MemoryLog(ENTRIES)
    dropped = MemoryLog([*ENTRIES[:10], *ENTRIES[11:]])
    result = run(tmp_path, "consistency", checkpoint(log, 30), checkpoint(dropped, 99), proof_file(dropped, 30, 99))
    assert result.returncode == 1 and "history was rewritten" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda note: note.replace(b"\n100\n", b"\n101\n", 1), "does not verify"),
        (
            lambda note: b"\n".join(
                line
                for line in note.split(b"\n")
                if b"statements.example.org" not in line[:40] or not line.startswith("\u2014".encode())
            ),
            "did not sign",
        ),
    ],
)
def test_an_edited_or_unsigned_checkpoint_is_refused(tmp_path, tamper, message):
    result = run(tmp_path, "checkpoint", tamper(checkpoint(MemoryLog(ENTRIES), 100)))
    assert result.returncode == 1 and message in result.stdout, result.stdout


def test_a_checkpoint_signed_by_another_key_is_refused(tmp_path):
    impostor = tlog.Signer(ORIGIN, Ed25519PrivateKey.generate())
    result = run(tmp_path, "checkpoint", checkpoint(MemoryLog(ENTRIES), 100, signer=impostor))
    assert result.returncode == 1 and "did not sign" in result.stdout


def test_a_forged_cosignature_is_refused(tmp_path):
    log = MemoryLog(ENTRIES)
    text = tlog.Checkpoint(ORIGIN, 100, tlog.tree_hash(100, log.read)).text()
    other_text = tlog.Checkpoint(ORIGIN, 100, b"\x00" * 32).text()
    forged = text + b"\n" + (LOG.sign_line(text) + WITNESSES[0].cosign_line(other_text, 5)).encode()
    result = run(tmp_path, "checkpoint", forged)
    assert result.returncode == 1 and "witness0.example/w does not verify" in result.stdout


def test_the_library_opens_what_the_tool_opens():
    log = MemoryLog(ENTRIES)
    opened, signatures = tlog.open_checkpoint(
        checkpoint(log, 100),
        LOG.verifier,
        [tlog.Verifier.from_vkey(witness_vkey(w)) for w in WITNESSES],
    )
    assert opened.size == 100
    assert [s.verifier.name for s in signatures] == [ORIGIN, "witness0.example/w", "witness1.example/w"]
