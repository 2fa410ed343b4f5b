"""What the benchmarks share: a free port, a production environment, memory from /proc, a load of GETs."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import secrets
import socket
import sys
import threading
import time
from pathlib import Path

# The process helpers of `make stack` (scripts/stack.py): the benchmarks stop what they start as it does.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from stack import stop as stop  # noqa: E402  (named again here for the benchmarks)

CSRF_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def csrf_secret() -> str:
    """A secret that is both a valid ``csrftoken`` cookie and the form's token. The confirmation
    page's form is protected by Django's CSRF check; a browser gets both from that page's GET,
    which the benchmarks skip (the public statement page carries no token: it is the same for
    everyone, so cacheable)."""
    return "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_key(name: str) -> str:
    """A throwaway Ed25519 log key in the note format LOG_KEY takes (written out here so that this
    module also runs beside code older than the transparency log, which ignores it)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex()
    material = base64.b64encode(b"\x01" + key.private_bytes_raw()).decode()
    return f"PRIVATE+KEY+{name}+{key_id}+{material}"


def production_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The site as production runs it (DEBUG off), with throwaway keys, serving 127.0.0.1."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATA_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LOG_KEY": log_key("127.0.0.1/log"),
        "SITE_URL": "http://127.0.0.1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.setdefault("DATABASE_URL", "")
    return env


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    return pids


def resident_memory_mib(pids: list[int]) -> float:
    total_kib = 0
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def hammer(
    port: int, path: str, headers: dict[str, str], expected: int, *, seconds: float, clients: int
) -> tuple[list[float], int]:
    """``clients`` threads, each on a kept-alive connection, GET ``path`` for ``seconds``: the
    latency of every answer and how many failed (not ``expected``, or no answer)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != expected:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors
