"""The witness client against a witness written from the C2SP specs in Go (go_witness/main.go, with
golang.org/x/mod's note and tlog), on loopback: an honest log gets cosignatures that our own
verifier accepts, every way of lying about the log's history is refused, and each failure reaches
the caller as its own exception."""

from __future__ import annotations

import base64
import shutil
import socket
import time
import urllib.error
import urllib.request

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from undersigned.ledger import tlog
from undersigned.ledger.tests.test_tlog import MemoryLog
from undersigned.ledger.witness_client import (
    InvalidCosignatureError,
    WitnessConflictError,
    WitnessRefusedError,
    WitnessUnreachableError,
    add_checkpoint,
    add_checkpoint_body,
    verify_cosignatures,
)

ORIGIN = "statements.example.org/log"
LOG_KEY = tlog.Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
ENTRIES = [f'{{"kind":"signature.confirmed","seq":{i}}}'.encode() for i in range(300)]
HONEST = MemoryLog(ENTRIES)
TIMEOUT = 10.0


def signed_checkpoint(log: MemoryLog, size: int, signer: tlog.Signer = LOG_KEY) -> bytes:
    text = tlog.Checkpoint(signer.name, size, tlog.tree_hash(size, log.read)).text()
    return text + b"\n" + signer.sign_line(text).encode()


def cosign(witness, old: int, new: int, log: MemoryLog = HONEST, signer: tlog.Signer = LOG_KEY) -> list[str]:
    """Asks for a cosignature of ``log`` at ``new`` with the log's own proof from ``old``."""
    proof = tlog.consistency_proof(old, new, log.read) if old else []
    return add_checkpoint(
        witness.url,
        old_size=old,
        consistency_proof=proof,
        checkpoint_note=signed_checkpoint(log, new, signer),
        timeout=TIMEOUT,
    )


def post_raw(witness, body: bytes) -> int:
    """A request the client would not send; the witness's status."""
    request = urllib.request.Request(witness.url + "/add-checkpoint", data=body, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_a_growing_log_gets_cosignatures_that_verify(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    witness_key = tlog.Verifier.from_vkey(witness.vkey)
    assert witness_key.signature_type == tlog.COSIGNATURE_V1
    before = int(time.time())

    old = 0
    for new in (0, 1, 2, 7, 8, 256, 257, 300, 300):
        note = signed_checkpoint(HONEST, new)
        lines = cosign(witness, old, new)
        (cosignature,) = verify_cosignatures(note, lines, witness_key)
        assert before <= cosignature.timestamp <= time.time() + 1
        # The spec's way to take them in: append the lines to the checkpoint and open it as a note.
        cosigned = note + "".join(f"{line}\n" for line in lines).encode()
        checkpoint, signatures = tlog.open_checkpoint(cosigned, LOG_KEY.verifier, [witness_key])
        assert (checkpoint.size, {s.verifier for s in signatures}) == (new, {LOG_KEY.verifier, witness_key})
        old = new


def test_a_wrong_old_size_is_a_conflict_that_names_the_witnesss_size_and_a_retry_succeeds(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    cosign(witness, 0, 10)

    with pytest.raises(WitnessConflictError) as conflict:
        cosign(witness, 0, 20)  # a log that does not know this witness asks from 0
    assert conflict.value.known_size == 10
    assert conflict.value.url == witness.url + "/add-checkpoint"
    with pytest.raises(WitnessConflictError) as conflict:
        cosign(witness, 5, 20)  # a valid proof, from a size the witness has passed
    assert conflict.value.known_size == 10

    lines = cosign(witness, conflict.value.known_size, 20)
    verify_cosignatures(signed_checkpoint(HONEST, 20), lines, tlog.Verifier.from_vkey(witness.vkey))


def rewritten(entries: list[bytes]) -> list[bytes]:
    return [b"another history " + entry for entry in entries]


def edited(entries: list[bytes]) -> list[bytes]:
    return [*entries[:3], b'{"kind":"signature.withdrawn","seq":3}', *entries[4:]]


def dropped(entries: list[bytes]) -> list[bytes]:
    return [*entries[:3], *entries[4:]]


@pytest.mark.parametrize("tamper", [rewritten, edited, dropped])
@pytest.mark.parametrize("new", [10, 40])
def test_a_log_that_changed_its_history_is_refused(go_witness, tamper, new):
    """The witness cosigned the honest log at 10; a log that rewrote, edited or dropped an entry
    before that cannot prove its new tree extends it, not with its own proof nor the honest one."""
    witness = go_witness(LOG_KEY.verifier.vkey)
    cosign(witness, 0, 10)
    liar = MemoryLog(tamper(ENTRIES))

    with pytest.raises(WitnessRefusedError) as refused:
        cosign(witness, 10, new, log=liar)
    assert refused.value.status == 422
    with pytest.raises(WitnessRefusedError) as refused:
        add_checkpoint(
            witness.url,
            old_size=10,
            consistency_proof=tlog.consistency_proof(10, new, HONEST.read),
            checkpoint_note=signed_checkpoint(liar, new),
            timeout=TIMEOUT,
        )
    assert refused.value.status == 422

    # Nothing refused moved the witness: the honest log carries on from 10.
    cosign(witness, 10, 50)


def test_a_checkpoint_the_log_did_not_sign_is_refused(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    cosign(witness, 0, 10)
    impostor = tlog.Signer(ORIGIN, Ed25519PrivateKey.generate())  # the log's name, another key
    with pytest.raises(WitnessRefusedError) as refused:
        cosign(witness, 10, 20, signer=impostor)
    assert refused.value.status == 403

    # The log's good signature and a bad one from the same key (name and id): the spec refuses the
    # note whichever comes first (x/mod's note.Open alone would skip a second line of the same key).
    note = signed_checkpoint(HONEST, 20)
    text, (signature,) = tlog.parse_note(note).text, tlog.parse_note(note).signatures
    bent = tlog.SignatureLine(signature.name, signature.key_id, bytes(64))
    for lines in [(signature, bent), (bent, signature)]:
        with pytest.raises(WitnessRefusedError) as refused:
            add_checkpoint(
                witness.url,
                old_size=10,
                consistency_proof=tlog.consistency_proof(10, 20, HONEST.read),
                checkpoint_note=tlog.Note(text, lines).serialise(),
                timeout=TIMEOUT,
            )
        assert refused.value.status == 403
    cosign(witness, 10, 20)


def test_the_witness_follows_the_specs_status_codes(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    stranger = tlog.Signer("another.example/log", Ed25519PrivateKey.generate())
    with pytest.raises(WitnessRefusedError) as refused:
        cosign(witness, 0, 5, signer=stranger)
    assert refused.value.status == 404

    empty_with_a_root = tlog.Checkpoint(ORIGIN, 0, b"\x07" * 32).text()
    with pytest.raises(WitnessRefusedError) as refused:
        add_checkpoint(
            witness.url,
            old_size=0,
            consistency_proof=[],
            checkpoint_note=empty_with_a_root + b"\n" + LOG_KEY.sign_line(empty_with_a_root).encode(),
            timeout=TIMEOUT,
        )
    assert refused.value.status == 422

    cosign(witness, 0, 10)
    with pytest.raises(WitnessRefusedError) as refused:
        cosign(witness, 10, 10, log=MemoryLog(edited(ENTRIES)))  # another root for a size it cosigned
    assert refused.value.status == 422
    with pytest.raises(WitnessRefusedError) as refused:
        add_checkpoint(
            witness.url,
            old_size=20,
            consistency_proof=[],
            checkpoint_note=signed_checkpoint(HONEST, 10),
            timeout=TIMEOUT,
        )
    assert (refused.value.status, "larger" in refused.value.text) == (400, True)

    note = signed_checkpoint(HONEST, 20)
    proof_line = base64.b64encode(bytes(32)) + b"\n"
    assert post_raw(witness, b"old 10\n" + note) == 400  # no empty line after the proof
    assert post_raw(witness, b"old 010\n\n" + note) == 400
    assert post_raw(witness, b"old 10\n" + b"not base64\n\n" + note) == 400
    assert post_raw(witness, b"old 10\n" + proof_line * 64 + b"\n" + note) == 400
    assert post_raw(witness, b"old 0\n" + proof_line + b"\n" + note) == 409  # the witness is at 10
    cosign(witness, 10, 20)


def test_a_proof_from_the_empty_tree_must_be_empty(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    body = add_checkpoint_body(0, [], signed_checkpoint(HONEST, 5))
    assert post_raw(witness, body.replace(b"old 0\n", b"old 0\n" + base64.b64encode(bytes(32)) + b"\n")) == 422
    assert post_raw(witness, body) == 200


def test_each_log_has_its_own_state(go_witness):
    other_key = tlog.Signer("other.example.org/log", Ed25519PrivateKey.generate())
    other = MemoryLog([b"other %d" % i for i in range(30)])
    witness = go_witness([LOG_KEY.verifier.vkey, other_key.verifier.vkey])
    cosign(witness, 0, 10)
    cosign(witness, 0, 30, log=other, signer=other_key)
    with pytest.raises(WitnessConflictError) as conflict:
        cosign(witness, 30, 40)
    assert conflict.value.known_size == 10


def test_a_restarted_witness_remembers_what_it_cosigned(go_witness, tmp_path):
    state = tmp_path / "witness-state.json"
    first = go_witness(LOG_KEY.verifier.vkey, seed=b"\x01" * 32, state_file=state)
    cosign(first, 0, 10)
    first.stop()
    second = go_witness(LOG_KEY.verifier.vkey, seed=b"\x01" * 32, state_file=state)
    assert second.vkey == first.vkey
    with pytest.raises(WitnessConflictError) as conflict:
        cosign(second, 0, 20)
    assert conflict.value.known_size == 10


def test_only_the_witnesss_valid_cosignature_of_this_checkpoint_is_accepted(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    witness_key = tlog.Verifier.from_vkey(witness.vkey)
    lines = cosign(witness, 0, 10)
    note = signed_checkpoint(HONEST, 10)
    verify_cosignatures(note, lines, witness_key)

    with pytest.raises(InvalidCosignatureError):  # over another checkpoint
        verify_cosignatures(signed_checkpoint(HONEST, 11), lines, witness_key)
    other_witness = tlog.Signer("witness.example/other", Ed25519PrivateKey.generate())
    text = tlog.parse_note(note).text
    with pytest.raises(InvalidCosignatureError, match="no cosignature"):  # another key's lines are ignored
        verify_cosignatures(note, [other_witness.cosign_line(text, int(time.time())).rstrip("\n")], witness_key)
    # ... but they do not hide the witness's own.
    assert verify_cosignatures(note, [other_witness.cosign_line(text, 1).rstrip("\n"), *lines], witness_key)

    (line,) = tlog.parse_note(b"-\n\n" + lines[0].encode() + b"\n").signatures
    flipped = bytearray(line.signature)
    flipped[-1] ^= 1
    with pytest.raises(InvalidCosignatureError, match="does not verify"):
        verify_cosignatures(note, [tlog.SignatureLine(line.name, line.key_id, bytes(flipped)).line()], witness_key)
    with pytest.raises(ValueError, match="0x04"):
        verify_cosignatures(note, lines, tlog.Verifier(witness_key.name, tlog.ED25519, witness_key.public_key))


def test_a_witness_that_is_down_is_unreachable(go_witness):
    witness = go_witness(LOG_KEY.verifier.vkey)
    witness.stop()
    with pytest.raises(WitnessUnreachableError) as unreachable:
        cosign(witness, 0, 10)
    assert unreachable.value.status is None


def test_a_witness_that_does_not_answer_in_time_is_unreachable():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(WitnessUnreachableError, match="no answer within 0.3 s"):
            add_checkpoint(
                url, old_size=0, consistency_proof=[], checkpoint_note=signed_checkpoint(HONEST, 1), timeout=0.3
            )


def test_a_witness_that_cannot_keep_its_state_fails_with_500_and_is_unreachable(go_witness, tmp_path):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    witness = go_witness(LOG_KEY.verifier.vkey, state_file=state_dir / "witness-state.json")
    shutil.rmtree(state_dir)
    with pytest.raises(WitnessUnreachableError) as unreachable:
        cosign(witness, 0, 10)
    assert unreachable.value.status == 500
