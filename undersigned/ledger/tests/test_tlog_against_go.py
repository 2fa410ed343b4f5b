"""The log's formats against an independent implementation: Go's golang.org/x/mod/sumdb/tlog and
sumdb/note (Debian's golang-go and golang-golang-x-mod-dev, which `make test` installs). A log of
a few thousand entries: every root, a few thousand inclusion and consistency proofs, the tiles,
and signed notes made by each side and opened by the other, must agree."""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from undersigned.ledger import tlog
from undersigned.ledger.tests.test_tlog import MemoryLog

GO_SOURCE = Path(__file__).with_name("go_tlog") / "main.go"
GO_PATH = Path("/usr/share/gocode")
SIZE = 3000


@pytest.fixture(scope="module")
def go_program(tmp_path_factory) -> Path:
    go = shutil.which("go")
    if go is None or not (GO_PATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        pytest.skip("Go and golang.org/x/mod are not installed (apt-get install golang-go golang-golang-x-mod-dev)")
    build = tmp_path_factory.mktemp("go")
    binary = build / "tlogcheck"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GO_PATH), "GOCACHE": str(build / "cache"), "GOFLAGS": ""}
    subprocess.run([go, "build", "-o", str(binary), str(GO_SOURCE)], check=True, env=env, cwd=build)  # noqa: S603
    return binary


def ask_go(binary: Path, request: dict) -> dict:
    answer = subprocess.run(  # noqa: S603 (the program built above)
        [str(binary)], input=json.dumps(request).encode(), capture_output=True, check=True
    )
    return json.loads(answer.stdout)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_roots_proofs_and_tiles_agree_with_go(go_program):
    rng = random.Random(6962)
    entries = [f'{{"kind":"signature","n":{i},"pad":"{rng.random()}"}}'.encode() for i in range(SIZE)]
    log = MemoryLog(entries)
    inclusion = [(index, size) for size in rng.sample(range(1, SIZE + 1), 1000) for index in [rng.randrange(size)]]
    inclusion += [(0, 1), (SIZE - 1, SIZE), (255, 256), (256, 257)]
    consistency = [(old, new) for new in rng.sample(range(2, SIZE + 1), 1000) for old in [rng.randrange(1, new)]]
    consistency += [(1, SIZE), (256, 512), (SIZE - 1, SIZE), (SIZE, SIZE)]
    tiles = [(t.level, t.index, t.width, SIZE) for t in tlog.tiles_for_size(SIZE)]
    tiles += [(t.level, t.index, t.width, 1000) for t in tlog.tiles_for_size(1000)]

    go = ask_go(
        go_program,
        {
            "entries": [b64(e) for e in entries],
            "inclusion": [list(q) for q in inclusion],
            "consistency": [list(q) for q in consistency],
            "tiles": [list(q) for q in tiles],
        },
    )

    ours = [b64(tlog.tree_hash(size, log.read)) for size in range(1, SIZE + 1)]
    assert ours == go["roots"]
    for (index, size), theirs in zip(inclusion, go["inclusion"], strict=True):
        assert [b64(h) for h in tlog.inclusion_proof(index, size, log.read)] == (theirs or []), (index, size)
    for (old, new), theirs in zip(consistency, go["consistency"], strict=True):
        assert [b64(h) for h in tlog.consistency_proof(old, new, log.read)] == (theirs or []), (old, new)
        # Go's proofs verify with ours.
        tlog.verify_consistency(
            old,
            new,
            [base64.b64decode(h) for h in theirs or []],
            tlog.tree_hash(old, log.read),
            tlog.tree_hash(new, log.read),
        )
    for (level, index, width, _size), data, go_path in zip(tiles, go["tiles"], go["tile_paths"], strict=True):
        tile = tlog.Tile(level, index, width)
        assert b64(tlog.tile_data(tile, log.read)) == data
        # Go's x/mod paths carry the tile height (8) after "tile/"; C2SP's leave it out.
        assert go_path == tile.path.replace("tile/", "tile/8/", 1)


def test_signed_notes_open_on_the_other_side(go_program):
    ours = tlog.Signer("statements.example.org/log", Ed25519PrivateKey.generate())
    text = tlog.Checkpoint(ours.name, 42, b"\x07" * 32).text()
    signed = text + b"\n" + ours.sign_line(text).encode()
    forged = text.replace(b"42", b"43") + b"\n" + ours.sign_line(text).encode()
    stranger = tlog.Signer(ours.name, Ed25519PrivateKey.generate())
    by_stranger = text + b"\n" + stranger.sign_line(text).encode()
    go = ask_go(
        go_program,
        {
            "entries": [],
            "notes": [{"vkey": ours.verifier.vkey, "note": b64(n)} for n in (signed, forged, by_stranger)],
            "sign_name": "witness.example/go",
            "sign_text": b64(text),
        },
    )
    assert go["notes_ok"] == [True, False, False]
    go_verifier = tlog.Verifier.from_vkey(go["signed_vkey"])
    note = tlog.parse_note(base64.b64decode(go["signed_note"]))
    (signature,) = tlog.verify_note(note, [go_verifier])
    assert note.text == text and signature.verifier == go_verifier
