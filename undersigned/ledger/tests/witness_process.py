"""The Go test witness (go_witness/main.go) as a process on loopback, for any test that needs a
witness to cosign its log's checkpoints.

    witness = start_go_witness(tmp_path, log.verifier.vkey)
    lines = add_checkpoint(witness.url, ...)
    witness.stop()

or, in a test, the ``go_witness`` fixture (ledger/tests/conftest.py), which stops them all. The
program is built once per test process with Debian's Go and golang.org/x/mod (scripts/test
installs both); without them the test is skipped.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

GO_SOURCE = Path(__file__).with_name("go_witness") / "main.go"
GO_PATH = Path("/usr/share/gocode")
STARTUP_TIMEOUT = 30.0
_started = itertools.count()


class RunningWitness(NamedTuple):
    url: str  # the submission prefix: add_checkpoint(url, ...) posts to <url>/add-checkpoint
    vkey: str  # its cosignature verifier key (type 0x04): tlog.Verifier.from_vkey(vkey)
    stop: Callable[[], None]  # ends the process; safe to call twice


@functools.cache
def go_witness_binary() -> Path:
    """Builds the witness once per process; skips the calling test if Go is not installed."""
    go = shutil.which("go")
    if go is None or not (GO_PATH / "src/golang.org/x/mod/sumdb/note").is_dir():
        pytest.skip(
            "the Go test witness needs Go and golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev)"
        )
    build = Path(tempfile.mkdtemp(prefix="go-witness-"))
    atexit.register(shutil.rmtree, build, ignore_errors=True)
    binary = build / "go_witness"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GO_PATH), "GOCACHE": str(build / "cache"), "GOFLAGS": ""}
    subprocess.run([go, "build", "-o", str(binary), str(GO_SOURCE)], check=True, env=env, cwd=build)  # noqa: S603
    return binary


def start_go_witness(
    tmp_path: Path,
    log_vkeys: str | Sequence[str],
    *,
    name: str = "witness.example/go",
    seed: bytes | None = None,
    state_file: Path | None = None,
) -> RunningWitness:
    """Starts a witness for the logs of ``log_vkeys`` (each log's origin is its key's name) on a
    free loopback port. ``seed`` (32 bytes) fixes its key, random otherwise; with ``state_file`` it
    keeps what it cosigned there, so a restart with the same file remembers. Its stderr goes to a
    file in ``tmp_path``."""
    vkeys = [log_vkeys] if isinstance(log_vkeys, str) else list(log_vkeys)
    command = [str(go_witness_binary()), "-name", name]
    for vkey in vkeys:
        command += ["-log", vkey]
    if seed is not None:
        command += ["-seed", seed.hex()]
    if state_file is not None:
        command += ["-state", str(state_file)]
    stderr_path = tmp_path / f"go-witness-{next(_started)}.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)  # noqa: S603 (built above)
    assert process.stdout is not None
    announcement = process.stdout.readline()  # printed once it listens; empty if it exited
    if not announcement:
        process.wait(timeout=STARTUP_TIMEOUT)
        raise RuntimeError(f"the Go witness did not start: {stderr_path.read_text()}")
    started = json.loads(announcement)

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=STARTUP_TIMEOUT)
        assert process.stdout is not None
        process.stdout.close()

    return RunningWitness(url=started["url"], vkey=started["vkey"], stop=stop)
