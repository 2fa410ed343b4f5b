"""The site's transparency log: one append-only Merkle tree of every statement's ledger entries.

The sealing that chains a statement's events (``services.seal_pending``) appends each new entry
here too, in the same transaction: a leaf (the canonical event, see ``log_entry``), the stored
hashes it completes, and a checkpoint signed with the log key. Formats are the C2SP ones, written
by ``tlog``; ``docs/decisions/0011-transparency-log-formats.md`` says why.

A signature's or a sign-on's events carry a commitment, SHA-256 of a secret that only its
signer's receipts hold, in place of its public id: the log proves "this receipt's signature is
counted" to the receipt's holder and links no event to anyone for the rest of the world.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import transaction

from undersigned.ledger import tlog

RECEIPT_DOMAIN = b"undersigned receipt v1\n"
COMMITTED_KIND_PREFIXES = ("signature.", "sign_on.")


def takes_commitment(kind: str) -> bool:
    return kind.startswith(COMMITTED_KIND_PREFIXES)


def commitment(secret: bytes) -> str:
    return hashlib.sha256(RECEIPT_DOMAIN + secret).hexdigest()


def log_entry(document: dict[str, Any], *, subject: str) -> str:
    """The leaf of a ledger entry (``selectors.entry_document``): its event with ``subject`` (the
    commitment, for a signature or a sign-on) and its per-statement chain hash as ``chain``."""
    body = {
        "at": document["at"],
        "chain": document["hash"],
        "country": document["country"],
        "detail": document["detail"],
        "kind": document["kind"],
        "seq": document["seq"],
        "statement": document["statement"],
        "subject": subject,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def log_signers() -> list[tlog.Signer]:
    """The log's keys: the first is the log's, any others sign beside it while a new key is
    brought in (docs/operations.md, "Rotating the log key")."""
    return [tlog.Signer.from_skey(skey) for skey in settings.LOG_KEY.split(",")] if settings.LOG_KEY else []


def log_verifiers() -> list[tlog.Verifier]:
    return [signer.verifier for signer in log_signers()]


def log_url() -> str:
    """The log's URL prefix (C2SP tlog-tiles): the checkpoint and the tiles are under it."""
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("ledger:log_checkpoint").removesuffix("checkpoint")


def log_origin() -> str | None:
    signers = log_signers()
    return signers[0].name if signers else None


class StoredHashes:
    """Reads stored hashes from ``hash_model``, remembering those written in this transaction."""

    def __init__(self, hash_model: Any) -> None:
        self.hash_model = hash_model
        self.written: dict[int, bytes] = {}

    def read(self, indexes: Sequence[int]) -> list[bytes]:
        missing = [index for index in indexes if index not in self.written]
        found = (
            {
                index: bytes(digest)
                for index, digest in self.hash_model.objects.filter(index__in=missing).values_list("index", "hash")
            }
            if missing
            else {}
        )
        try:
            return [self.written[index] if index in self.written else found[index] for index in indexes]
        except KeyError as missing_hash:
            raise tlog.ProofError(f"stored hash {missing_hash} is missing") from None


@dataclass(frozen=True)
class LogModels:
    """The models the writer uses: the app's, or a migration's historical ones."""

    state: Any
    leaf: Any
    hash: Any
    secret: Any
    checkpoint: Any


def current_models() -> LogModels:
    from undersigned.ledger import models

    return LogModels(
        state=models.LogState,
        leaf=models.LogLeaf,
        hash=models.LogHash,
        secret=models.ReceiptSecret,
        checkpoint=models.LogCheckpoint,
    )


def locked_size(log_models: LogModels) -> Any:
    """The log's state row, locked until the transaction ends (made on first use)."""
    log_models.state.objects.get_or_create(pk=1)
    return log_models.state.objects.select_for_update().get(pk=1)


def append_entries(entries: Iterable[tuple[Any, dict[str, Any]]], log_models: LogModels | None = None) -> int:
    """Appends ``(ledger entry, its document)`` pairs, in order, as leaves; returns the new size.
    Call inside the transaction that writes the entries (with their primary keys)."""
    log_models = log_models or current_models()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_entries runs inside the sealing's transaction")
    pairs = list(entries)
    state = locked_size(log_models)
    if not pairs:
        return int(state.size)
    secrets_by_subject = _secrets_for(pairs, log_models)
    hashes = StoredHashes(log_models.hash)
    size = int(state.size)
    leaves: list[tuple[int, int, str]] = []
    hash_rows: list[tuple[int, bytes]] = []
    for ledger_entry, document in pairs:
        subject = document["subject"]
        if takes_commitment(document["kind"]):
            subject = commitment(secrets_by_subject[(ledger_entry.statement_id, subject)])
        text = log_entry(document, subject=subject)
        leaves.append((size, ledger_entry.pk, text))
        new_hashes = tlog.stored_hashes_for_leaf(size, tlog.leaf_hash(text.encode()), hashes.read)
        first = tlog.stored_hash_index(0, size)
        for offset, digest in enumerate(new_hashes):
            hashes.written[first + offset] = digest
            hash_rows.append((first + offset, digest))
        size += 1
    _insert(log_models.leaf, ("index", "ledger_entry_id", "entry"), leaves)
    _insert(log_models.hash, ("index", "hash"), hash_rows)
    log_models.state.objects.filter(pk=1).update(size=size)
    return size


def _insert(model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs of many rows: model instances and ``bulk_create`` cost more than the rest of
    the sealing together, and these rows have no defaults or signals to apply."""
    if not rows:
        return
    connection = transaction.get_connection()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


def _secrets_for(pairs: list[tuple[Any, dict[str, Any]]], log_models: LogModels) -> dict[tuple[int, str], bytes]:
    wanted = {
        (ledger_entry.statement_id, document["subject"])
        for ledger_entry, document in pairs
        if takes_commitment(document["kind"])
    }
    found: dict[tuple[int, str], bytes] = {}
    by_statement: dict[int, list[str]] = {}
    for statement_id, subject in wanted:
        by_statement.setdefault(statement_id, []).append(subject)
    for statement_id, subjects in by_statement.items():
        for chunk_start in range(0, len(subjects), 500):
            chunk = subjects[chunk_start : chunk_start + 500]
            for subject, secret in log_models.secret.objects.filter(
                statement_id=statement_id, subject__in=chunk
            ).values_list("subject", "secret"):
                found[(statement_id, subject)] = bytes(secret)
    new = []
    for statement_id, subject in sorted(wanted - set(found)):
        secret = secrets.token_bytes(32)
        found[(statement_id, subject)] = secret
        new.append((statement_id, subject, secret))
    _insert(log_models.secret, ("statement_id", "subject", "secret"), new)
    return found


def sign_checkpoint(log_models: LogModels | None = None) -> Any | None:
    """Signs a checkpoint of the whole log, unless the newest one already covers it or no log key
    is set. Call inside the transaction that appended (it holds the log's state row)."""
    log_models = log_models or current_models()
    signers = log_signers()
    state = locked_size(log_models)
    size = int(state.size)
    if not signers or size == 0:
        return None
    newest = log_models.checkpoint.objects.order_by("-pk").first()
    if newest is not None and newest.size >= size:
        return None
    root = tlog.tree_hash(size, StoredHashes(log_models.hash).read)
    text = tlog.Checkpoint(origin=signers[0].name, size=size, root=root).text()
    note = text + b"\n" + "".join(signer.sign_line(text) for signer in signers).encode()
    return log_models.checkpoint.objects.create(size=size, root=root, note=note.decode())


@checks.register(checks.Tags.security, deploy=True)
def check_log_key(**_kwargs: object) -> list[checks.CheckMessage]:
    if settings.LOG_KEY:
        return []
    return [
        checks.Warning(
            "LOG_KEY is not set: the transparency log grows, but no checkpoint is signed or published.",
            hint="Make one with `manage.py create_log_key --file /etc/undersigned/log_key` and set LOG_KEY_FILE.",
            id="ledger.W001",
        )
    ]
