"""Sealers running at once append to the one site log without a gap, a repeat or a wrong hash."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from undersigned.ledger import tlog
from undersigned.ledger.log_selectors import read_hashes
from undersigned.ledger.models import LedgerEntry, LogCheckpoint, LogHash, LogLeaf, LogState
from undersigned.ledger.services import seal_pending
from undersigned.ledger.tests.test_tlog import MemoryLog
from undersigned.signatures.tests.conftest import build_open_statement, sign

pytestmark = pytest.mark.django_db(transaction=True)
SEALERS = 4


def test_concurrent_sealers_append_every_entry_once_in_one_consistent_tree(libraries):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")
    first = build_open_statement(libraries)
    second = build_open_statement(libraries, slug="a-second-statement")
    for number in range(30):
        sign(first if number % 2 else second, email=f"c{number}@example.org", country="FR", confirm=True)
    barrier = threading.Barrier(SEALERS, timeout=30)
    errors: list[Exception] = []

    def seal() -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            seal_pending(batch=4)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(SEALERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    size = LedgerEntry.objects.count()
    assert size == 30 and LogState.objects.get().size == size
    assert list(LogLeaf.objects.order_by("index").values_list("index", flat=True)) == list(range(size))
    texts = [text.encode() for text in LogLeaf.objects.order_by("index").values_list("entry", flat=True)]
    assert [bytes(h) for h in LogHash.objects.order_by("index").values_list("hash", flat=True)] == MemoryLog(
        texts
    ).hashes
    checkpoints = list(LogCheckpoint.objects.order_by("pk"))
    assert checkpoints[-1].size == size
    for older, newer in zip(checkpoints, checkpoints[1:], strict=False):
        assert older.size < newer.size
        proof = tlog.consistency_proof(older.size, newer.size, read_hashes)
        tlog.verify_consistency(older.size, newer.size, proof, bytes(older.root), bytes(newer.root))
