"""The site's checkpoints go to a real witness (the Go test witness, written from C2SP
tlog-witness with golang.org/x/mod's note and tlog), which cosigns each one that extends what it
saw; the cosignatures are published with the checkpoint, and a refusal (another key, a rewritten
history) is kept as the witness's problem until it cosigns again."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from undersigned.ledger import site_log, tlog
from undersigned.ledger.log_selectors import published_checkpoint
from undersigned.ledger.models import LedgerEntry, LogCosignature, LogLeaf, LogWitness
from undersigned.ledger.services import seal_pending
from undersigned.ledger.witnessing import witness_newest_checkpoint
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def signed(target: OpenStatement, number: int):
    return sign(target, email=f"w{number}@example.org", country="FR", confirm=True)


@pytest.fixture
def witness(go_witness) -> tuple[LogWitness, tlog.Verifier]:
    running = go_witness(site_log.log_verifiers()[0].vkey)
    verifier = tlog.Verifier.from_vkey(running.vkey)
    return LogWitness.objects.create(name=verifier.name, url=running.url, vkey=running.vkey), verifier


def test_each_new_checkpoint_is_cosigned_and_published_with_the_cosignature(target, witness):
    record, verifier = witness
    signed(target, 0)
    seal_pending()
    assert witness_newest_checkpoint() == [f"{record.name}: cosigned 1"]
    for number in range(1, 4):
        signed(target, number)
    seal_pending()
    assert witness_newest_checkpoint() == [f"{record.name}: cosigned 4"]  # with a consistency proof from 1
    assert witness_newest_checkpoint() == [f"{record.name}: cosigned already"]

    published = published_checkpoint()
    checkpoint, signatures = tlog.open_checkpoint(published.note, site_log.log_verifiers()[0], [verifier])
    assert checkpoint.size == 4
    assert {signature.verifier.name for signature in signatures} == {"testserver/log", record.name}
    assert [cosignature.witness for cosignature in published.cosignatures] == [record.name]
    record.refresh_from_db()
    assert (record.known_size, record.problem) == (4, "")


def test_a_witness_that_knows_another_size_gets_a_proof_from_there(target, witness):
    record, _ = witness
    for number in range(3):
        signed(target, number)
    seal_pending()
    witness_newest_checkpoint()
    signed(target, 3)
    seal_pending()
    LogWitness.objects.filter(pk=record.pk).update(known_size=0)  # as after losing our record of it
    assert witness_newest_checkpoint() == [f"{record.name}: cosigned 4"]


def test_a_checkpoint_signed_by_another_key_is_refused_and_raises_the_alarm(target, witness, settings):
    record, _ = witness
    signed(target, 0)
    seal_pending()
    witness_newest_checkpoint()
    settings.LOG_KEY = tlog.Signer.generate("testserver/log").skey
    signed(target, 1)
    seal_pending()
    (outcome,) = witness_newest_checkpoint()
    assert "refused (403)" in outcome
    record.refresh_from_db()
    assert record.problem.startswith("refused (403)") and record.problem_since is not None
    assert record.known_size == 1
    assert not LogCosignature.objects.filter(checkpoint__size=2).exists()


def test_a_rewritten_history_is_refused(target, witness):
    """The operator edits a sealed entry and rebuilds the tree from it, then signs the rewritten
    log with the real key: the witness, which cosigned the old tree, refuses the new one."""
    record, _ = witness
    for number in range(3):
        signed(target, number)
    seal_pending()
    witness_newest_checkpoint()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction checks its keys first
        for table in ("ledger_logleaf", "ledger_loghash"):
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
    leaf = LogLeaf.objects.get(index=1)
    entry = json.loads(leaf.entry)
    entry["country"] = "DE"
    LogLeaf.objects.filter(index=1).update(entry=json.dumps(entry, sort_keys=True, separators=(",", ":")))
    from undersigned.ledger.log_selectors import read_hashes
    from undersigned.ledger.models import LogHash

    texts = [text.encode() for text in LogLeaf.objects.order_by("index").values_list("entry", flat=True)]
    rebuilt: list[bytes] = []
    for index, text in enumerate(texts):
        rebuilt.extend(
            tlog.stored_hashes_for_leaf(index, tlog.leaf_hash(text), lambda wanted: [rebuilt[i] for i in wanted])
        )
    for index, digest in enumerate(rebuilt):
        LogHash.objects.filter(index=index).update(hash=digest)
    assert tlog.tree_hash(3, read_hashes) != bytes(published_checkpoint().root)

    signed(target, 3)
    seal_pending()
    (outcome,) = witness_newest_checkpoint()
    assert "refused (422)" in outcome
    record.refresh_from_db()
    assert record.problem and record.known_size == 3
    assert LedgerEntry.objects.count() == 4


def test_a_witness_that_is_down_is_tried_again_later_without_an_alarm(target, go_witness):
    running = go_witness(site_log.log_verifiers()[0].vkey)
    record = LogWitness.objects.create(
        name=tlog.Verifier.from_vkey(running.vkey).name, url=running.url, vkey=running.vkey
    )
    running.stop()
    signed(target, 0)
    seal_pending()
    (outcome,) = witness_newest_checkpoint()
    assert "not reached" in outcome
    record.refresh_from_db()
    assert record.problem == "" and record.last_attempt_at is not None


def test_a_witness_that_missed_the_checkpoint_is_asked_again_by_the_next_sealing_run(
    target, witness, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    def asked() -> bool:
        return DBTaskResult.objects.filter(task_path__endswith="send_checkpoint_to_witnesses").exists()

    signed(target, 0)
    seal_pending()
    with django_capture_on_commit_callbacks(execute=True):
        seal_pending()  # nothing to seal, but the witness has not cosigned yet
    assert asked()
    witness_newest_checkpoint()
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        seal_pending()  # now it has: nothing to send
    assert not asked()
