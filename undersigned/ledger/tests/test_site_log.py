"""The site's transparency log in the database: the sealing appends every ledger entry as a leaf,
in order, with a commitment in place of a signer's public id; each sealing signs a checkpoint;
the tree is served as C2SP tiles; receipts prove a signature's events to its holder."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from undersigned.ledger import site_log, tlog
from undersigned.ledger.log_selectors import logged_events_of, published_checkpoint, read_hashes, receipt_file
from undersigned.ledger.models import LedgerEntry, LogCheckpoint, LogHash, LogLeaf, LogState, ReceiptSecret
from undersigned.ledger.services import seal_pending
from undersigned.ledger.tests.test_tlog import MemoryLog, mth
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign

pytestmark = pytest.mark.django_db

COUNTRIES = ["FR", "ES", "MA", "SN"]


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def signed(target: OpenStatement, number: int):
    return sign(target, email=f"person{number}@example.org", country=COUNTRIES[number % 4], confirm=True)


def leaves() -> list[bytes]:
    return [entry.encode() for entry in LogLeaf.objects.order_by("index").values_list("entry", flat=True)]


def test_sealing_appends_each_entry_as_a_leaf_in_order_and_signs_a_checkpoint(target):
    for number in range(3):
        signed(target, number)
    seal_pending()
    signed(target, 3)
    seal_pending()

    entries = list(LedgerEntry.objects.order_by("pk"))
    stored = list(LogLeaf.objects.order_by("index"))
    assert [leaf.index for leaf in stored] == list(range(4))
    assert [leaf.ledger_entry_id for leaf in stored] == [entry.pk for entry in entries]
    assert LogState.objects.get().size == 4
    # The stored hashes are exactly those of a log built from the same entries, and the root is
    # RFC 6962's MTH of them.
    memory = MemoryLog(leaves())
    assert [bytes(h) for h in LogHash.objects.order_by("index").values_list("hash", flat=True)] == memory.hashes
    root = tlog.tree_hash(4, read_hashes)
    assert root == mth(leaves())

    checkpoints = list(LogCheckpoint.objects.order_by("pk"))
    assert [checkpoint.size for checkpoint in checkpoints] == [3, 4]
    verifier = site_log.log_verifiers()[0]
    checkpoint, signatures = tlog.open_checkpoint(checkpoints[-1].note.encode(), verifier)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == ("testserver/log", 4, root)
    assert [signature.verifier for signature in signatures] == [verifier]
    # Consistency between the two checkpoints, as a witness will ask for it.
    proof = tlog.consistency_proof(3, 4, read_hashes)
    tlog.verify_consistency(3, 4, proof, bytes(checkpoints[0].root), root)


def test_a_leaf_carries_a_commitment_not_the_public_id_and_the_same_one_for_each_event(target):
    signature = signed(target, 0)
    seal_pending()
    signature_withdraw(signature_id=signature.pk, statement_id=target.statement.pk)
    seal_pending()

    confirmed, withdrawn = (json.loads(text) for text in leaves())
    assert (confirmed["kind"], withdrawn["kind"]) == ("signature.confirmed", "signature.withdrawn")
    assert confirmed["subject"] == withdrawn["subject"] != signature.public_id
    assert signature.public_id not in json.dumps([confirmed, withdrawn])
    secret = bytes(ReceiptSecret.objects.get(subject=signature.public_id).secret)
    assert confirmed["subject"] == site_log.commitment(secret)
    entry = LedgerEntry.objects.get(seq=confirmed["seq"])
    assert (confirmed["chain"], confirmed["statement"], confirmed["country"]) == (
        entry.hash,
        target.statement.slug,
        "FR",
    )
    assert sorted(confirmed) == ["at", "chain", "country", "detail", "kind", "seq", "statement", "subject"]


def test_receipts_prove_each_event_of_a_signature_to_its_holder(target):
    signature = signed(target, 0)
    signed(target, 1)
    assert receipt_file(target.statement.pk, signature.public_id) is None  # not sealed yet
    seal_pending()
    signature_withdraw(signature_id=signature.pk, statement_id=target.statement.pk)
    seal_pending()

    events = logged_events_of(target.statement.pk, signature.public_id)
    assert [event.kind for event in events] == ["signature.confirmed", "signature.withdrawn"]
    assert receipt_file(target.statement.pk, signature.public_id) == receipt_file(
        target.statement.pk, signature.public_id, events[-1].index
    )
    verifier = site_log.log_verifiers()[0]
    for event in events:
        proof_file = tlog.parse_proof_file(receipt_file(target.statement.pk, signature.public_id, event.index))
        assert proof_file.index == event.index
        checkpoint, _ = tlog.open_checkpoint(proof_file.checkpoint, verifier)
        extra = json.loads(proof_file.extra or b"")
        entry = json.loads(extra["entry"])
        assert entry["subject"] == site_log.commitment(bytes.fromhex(extra["secret"]))
        leaf = tlog.leaf_hash(extra["entry"].encode())
        tlog.verify_inclusion(leaf, proof_file.index, checkpoint.size, proof_file.proof, checkpoint.root)
    other_leaf = events[0].index + 1 if events[0].index + 1 != events[1].index else events[1].index + 1
    assert receipt_file(target.statement.pk, signature.public_id, other_leaf) is None  # not this signature's
    assert receipt_file(target.statement.pk, "NOT-A-RECEIPT") is None


def test_the_tree_is_served_as_tiles_and_entry_bundles_that_rebuild_the_checkpoint(target, client):
    for number in range(5):
        signed(target, number)
    seal_pending()

    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    checkpoint, _ = tlog.open_checkpoint(response.content, site_log.log_verifiers()[0])
    assert checkpoint.size == 5

    bundle = client.get("/log/tile/entries/000.p/5")
    assert bundle.status_code == 200
    assert "immutable" in bundle["Cache-Control"]
    for served in (response, bundle):
        assert "Cookie" not in served.get("Vary", "") and "Accept-Language" not in served.get("Vary", "")
        assert served["Access-Control-Allow-Origin"] == "*"
    entries = tlog.parse_entry_bundle(bundle.content)
    assert mth(entries) == checkpoint.root
    tile = client.get("/log/tile/0/000.p/5")
    assert tile.content == b"".join(tlog.leaf_hash(entry) for entry in entries)
    assert client.get("/log/tile/0/000.p/3").content == tile.content[: 3 * 32]

    for missing in (
        "/log/tile/0/000",  # not full yet
        "/log/tile/0/000.p/6",  # beyond the checkpoint
        "/log/tile/entries/001.p/1",
        "/log/tile/1/000.p/1",
        "/log/tile/0/0000",
        "/log/tile/0/x000/000",
        "/log/tile/0/000.p/0",
        "/log/tile/99/000",
        "/log/tile/entries/000.p/256",
    ):
        assert client.get(missing).status_code == 404, missing
    assert client.post("/log/checkpoint").status_code == 405


def test_nothing_is_published_before_the_first_sealing(client, db):
    assert client.get("/log/checkpoint").status_code == 404
    assert client.get("/log/tile/entries/000.p/1").status_code == 404


def test_without_a_log_key_the_log_grows_and_the_first_key_signs_it_whole(target, settings):
    settings.LOG_KEY = None
    signed(target, 0)
    seal_pending()
    assert LogLeaf.objects.count() == 1 and not LogCheckpoint.objects.exists()
    settings.LOG_KEY = tlog.Signer.generate("testserver/log").skey
    seal_pending()  # nothing pending: signs the log as it stands
    assert LogCheckpoint.objects.get().size == 1


def test_a_rotation_signs_with_both_keys(target, settings):
    old, new = tlog.Signer.generate("testserver/log"), tlog.Signer.generate("testserver/log")
    settings.LOG_KEY = f"{old.skey},{new.skey}"
    signed(target, 0)
    seal_pending()
    note = LogCheckpoint.objects.get().note.encode()
    for key in (old, new):
        tlog.open_checkpoint(note, key.verifier)


def test_entries_sealed_before_the_log_existed_are_migrated_in_order(target):
    """The data migration rebuilds, from the ledger alone, the very tree the sealing wrote."""
    for number in range(7):
        signed(target, number)
    seal_pending()
    before = leaves()
    root = tlog.tree_hash(7, read_hashes)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction checks its keys first
        for table in ("ledger_logleaf", "ledger_loghash", "ledger_logcheckpoint"):
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (the table names above)
        cursor.execute("DELETE FROM ledger_logstate")
    migration = importlib.import_module("undersigned.ledger.migrations.0008_existing_entries_into_site_log")
    with transaction.atomic():
        migration.fill(apps, connection.schema_editor())
    assert leaves() == before
    assert LogCheckpoint.objects.get().size == 7 and bytes(LogCheckpoint.objects.get().root) == root


def test_create_log_key_writes_a_new_file_and_never_overwrites(tmp_path, capsys):
    path = tmp_path / "log_key"
    call_command("create_log_key", "--origin", "statements.example.org/log", "--file", str(path))
    signer = tlog.Signer.from_skey(path.read_text())
    assert signer.name == "statements.example.org/log"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert signer.verifier.vkey in capsys.readouterr().err
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="never overwritten"):
        call_command("create_log_key", "--file", str(path))
    with pytest.raises(CommandError, match="without spaces"):
        call_command("create_log_key", "--origin", "a b", "--file", str(tmp_path / "other"))


def test_published_checkpoint_is_none_until_signed(db):
    assert published_checkpoint() is None


def test_the_api_describes_the_log_for_a_verifier(target, client):
    assert client.get("/api/v1/log").json()["checkpoint"] is None
    signed(target, 0)
    seal_pending()
    described = client.get("/api/v1/log").json()
    verifier = site_log.log_verifiers()[0]
    assert described["origin"] == "testserver/log" and described["public_keys"] == [verifier.vkey]
    assert described["tiles"] == "http://testserver/log/"
    checkpoint, _ = tlog.open_checkpoint(described["checkpoint"]["note"].encode(), verifier)
    assert described["checkpoint"]["size"] == checkpoint.size == 1
    assert described["witnesses"] == []


def test_the_deploy_check_warns_without_a_log_key(settings):
    from django.core import checks

    settings.LOG_KEY = None
    assert "ledger.W001" in [message.id for message in checks.run_checks(include_deployment_checks=True)]
    settings.LOG_KEY = tlog.Signer.generate("testserver/log").skey
    assert "ledger.W001" not in [message.id for message in checks.run_checks(include_deployment_checks=True)]
