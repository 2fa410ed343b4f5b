"""The count ledger: every change to a count is chained in order, the counts the log gives equal
the counters and the rows after any sequence of changes, and tampering is found by both
verifiers, which name the first bad entry."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undersigned.ledger.models import Checkpoint, LedgerEntry, PendingEvent
from undersigned.ledger.selectors import export_lines, head_document, live_counts, receipt_of, verify_statement
from undersigned.ledger.services import seal_pending
from undersigned.signatures.models import Signature
from undersigned.signatures.services import (
    signature_confirm,
    signature_withdraw,
    signatures_invalidate,
    signatures_restore,
)
from undersigned.signatures.tallies import tally_differences
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign
from undersigned.testing import ROOT, editor, staff_login

pytestmark = pytest.mark.django_db

SCRIPT = ROOT / "tools" / "verify_statement.py"
COUNTRIES = ["FR", "ES", "MA", "SN"]


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def signed(target: OpenStatement, number: int, *, confirm: bool = True) -> Signature:
    return sign(target, email=f"person{number}@example.org", country=COUNTRIES[number % 4], confirm=confirm)


def assert_everything_agrees(target: OpenStatement) -> None:
    assert tally_differences() == []
    result = verify_statement(target.statement, live_counts(target.statement.pk))
    assert result.problems == []


def run_script(tmp_path: Path, target: OpenStatement) -> subprocess.CompletedProcess[str]:
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(export_lines(target.statement, up_to=head_document(target.statement)["seq"])))
    head = tmp_path / "head.json"
    head.write_text(json.dumps(head_document(target.statement)))
    # -I: isolated from the project's packages, so the script proves it needs the standard library only.
    return subprocess.run(  # noqa: S603
        [sys.executable, "-I", str(SCRIPT), str(export), str(head)], capture_output=True, text=True, check=False
    )


def test_events_are_chained_in_batches_with_counts_at_each_head(target):
    first, second = signed(target, 0), signed(target, 1)
    assert PendingEvent.objects.count() == 2 and not LedgerEntry.objects.exists()
    outcome = seal_pending()
    assert (outcome.sealed, outcome.statements) == (2, 1)
    assert not PendingEvent.objects.exists()
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [(entry.seq, entry.kind, entry.subject) for entry in entries] == [
        (1, "signature.confirmed", first.public_id),
        (2, "signature.confirmed", second.public_id),
    ]
    assert entries[1].prev_hash == entries[0].hash
    head = head_document(target.statement)
    assert head["seq"] == 2 and head["hash"] == entries[1].hash
    assert head["counts"]["signatures"] == {"total": 2, "by_country": {"FR": 1, "ES": 1}}
    signature_withdraw(signature_id=first.pk, statement_id=target.statement.pk)
    seal_pending()
    assert head_document(target.statement)["counts"]["signatures"] == {"total": 1, "by_country": {"ES": 1}}
    assert_everything_agrees(target)


def test_the_log_holds_nothing_personal(target):
    signature = sign(target, email="quillon.marchetti@example.org", name="Quillon Marchetti", confirm=True)
    seal_pending()
    lines = "".join(export_lines(target.statement))
    assert "quillon" not in lines.lower() and signature.public_id in lines
    assert set(json.loads(lines.splitlines()[0])) == {
        "seq", "statement", "kind", "subject", "country", "at", "detail", "prev_hash", "hash"
    }  # fmt: skip


def test_pending_and_unconfirmed_signatures_are_not_in_the_log(target):
    signed(target, 0, confirm=False)
    seal_pending()
    assert not LedgerEntry.objects.exists()
    assert_everything_agrees(target)


ACTIONS = st.lists(
    st.tuples(st.sampled_from(["sign", "confirm", "withdraw", "invalidate", "restore", "seal"]), st.integers(0, 5)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_any_sequence_of_changes_keeps_counters_rows_and_log_equal(target, actions):
    statement = target.statement
    with transaction.atomic():
        example = transaction.savepoint()  # each example starts from the same empty statement
        moderator = editor(target.commission)
        for action, person in actions:
            if action == "sign":
                signed(target, person, confirm=False)
            elif action == "seal":
                seal_pending()
            else:
                rows = list(Signature.objects.filter(statement=statement).order_by("pk"))
                if not rows:
                    continue
                signature = rows[person % len(rows)]
                if action == "confirm" and signature.status == Signature.Status.PENDING:
                    signature_confirm(signature_id=signature.pk, statement_id=statement.pk)
                elif action == "withdraw":
                    signature_withdraw(signature_id=signature.pk, statement_id=statement.pk)
                elif action == "invalidate":
                    signatures_invalidate(
                        actor=moderator, statement=statement, signature_ids=[signature.pk], reason="burst"
                    )
                elif action == "restore":
                    signatures_restore(
                        actor=moderator, statement=statement, signature_ids=[signature.pk], reason="checked"
                    )
            assert_everything_agrees(target)
        transaction.savepoint_rollback(example)


def test_the_database_refuses_to_change_or_delete_the_log(target):
    signed(target, 0)
    seal_pending()
    for statement in (
        "UPDATE ledger_ledgerentry SET country = 'XX'",
        "DELETE FROM ledger_ledgerentry",
        "UPDATE ledger_checkpoint SET hash = 'x'",
        "DELETE FROM ledger_checkpoint",
        "UPDATE ledger_logleaf SET entry = '{}'",
        "DELETE FROM ledger_logleaf",
        "DELETE FROM ledger_loghash",
        "UPDATE ledger_logcheckpoint SET size = 0",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert LedgerEntry.objects.get().country == "FR"


def _lift_triggers() -> None:
    """What someone with full access to the database would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction checks its keys first
            cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE ledger_logleaf DISABLE TRIGGER USER")
        else:
            for table in ("ledger_ledgerentry", "ledger_logleaf"):
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")


@pytest.mark.parametrize(
    ("tampering", "first_bad"),
    [
        ("UPDATE ledger_ledgerentry SET country = 'DE' WHERE seq = 3", 3),
        (
            "DELETE FROM ledger_logleaf WHERE ledger_entry_id IN (SELECT id FROM ledger_ledgerentry WHERE seq = 2);"
            "DELETE FROM ledger_ledgerentry WHERE seq = 2",
            2,
        ),
        ("UPDATE ledger_ledgerentry SET kind = 'signature.invalidated' WHERE seq = 4", 4),
    ],
)
def test_a_row_changed_in_sql_is_found_by_both_verifiers(target, tmp_path, tampering, first_bad):
    for number in range(5):
        signed(target, number)
    seal_pending()
    assert run_script(tmp_path, target).returncode == 0
    call_command("verify_audit", verbosity=0)
    _lift_triggers()
    with connection.cursor() as cursor:
        for statement in tampering.split(";"):
            cursor.execute(statement)

    with pytest.raises(CommandError, match="fail the audit"):
        call_command("verify_audit", verbosity=0)
    result = verify_statement(target.statement, live_counts(target.statement.pk))
    assert result.first_bad_seq == first_bad
    script = run_script(tmp_path, target)
    assert script.returncode == 1
    assert f"first bad entry: {first_bad}" in script.stdout


def test_a_counter_edited_by_hand_disagrees_with_the_log(target, capsys):
    signed(target, 0)
    seal_pending()
    from undersigned.signatures.models import TallyShard

    TallyShard.objects.update(confirmed=7)
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "differ from the log" in capsys.readouterr().err


def test_reordered_entries_are_found_by_the_script(target, tmp_path):
    for number in range(3):
        signed(target, number)
    seal_pending()
    lines = list(export_lines(target.statement))
    lines[0], lines[1] = lines[1], lines[0]
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(lines))
    head = tmp_path / "head.json"
    head.write_text(json.dumps(head_document(target.statement)))
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-I", str(SCRIPT), str(export), str(head)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "first bad entry: 1" in result.stdout


def test_the_standalone_script_agrees_and_reports_the_counts(target, tmp_path):
    for number in range(4):
        signed(target, number)
    signatures_invalidate(
        actor=None, statement=target.statement, signature_ids=[Signature.objects.first().pk], reason="burst"
    )
    seal_pending()
    result = run_script(tmp_path, target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK, 5 entries" in result.stdout and "3 signatures and 0 organisations" in result.stdout


def test_an_invalidation_needs_a_reason(target):
    signature = signed(target, 0)
    from undersigned.core.exceptions import DomainError

    with pytest.raises(DomainError, match="reason"):
        signatures_invalidate(actor=None, statement=target.statement, signature_ids=[signature.pk], reason="  ")
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert PendingEvent.objects.filter(kind="signature.invalidated").count() == 0


def test_a_receipt_tells_whether_a_signature_is_counted(target):
    counted, waiting = signed(target, 0), signed(target, 1, confirm=False)
    assert receipt_of(target.statement, counted.public_id).state == "pending_seal"
    seal_pending()
    assert receipt_of(target.statement, counted.public_id).state == "counted"
    assert receipt_of(target.statement, waiting.public_id).state == "unconfirmed"
    assert receipt_of(target.statement, "0000000000000000").state == "unknown"
    signature_withdraw(signature_id=counted.pk, statement_id=target.statement.pk)
    seal_pending()
    assert receipt_of(target.statement, counted.public_id).state == "not_counted"


def test_checkpoints_are_append_only_too(target):
    signed(target, 0)
    seal_pending()
    assert Checkpoint.objects.count() == 1


def test_crossing_a_milestone_is_written_to_the_log_once(target, client):
    from undersigned.ledger.models import Milestone
    from undersigned.ledger.services import milestones_set

    milestones_set(actor=None, statement=target.statement, counts=[2, 5])
    for number in range(3):
        signed(target, number)
    seal_pending()
    milestone = Milestone.objects.get(count=2)
    assert milestone.reached_seq == 3 and milestone.reached_at is not None
    assert LedgerEntry.objects.get(seq=3).kind == "milestone.reached"
    assert not Milestone.objects.get(count=5).reached_at
    signature_withdraw(signature_id=Signature.objects.first().pk, statement_id=target.statement.pk)
    signed(target, 9)
    seal_pending()
    assert LedgerEntry.objects.filter(kind="milestone.reached").count() == 1  # reached once, for good
    assert_everything_agrees(target)
    page = client.get(f"/statements/{target.statement.slug}/transparency/").content.decode()
    assert "entry 3 of the log" in page and "not reached yet" in page
    assert "Next milestone: 5 signatures" in client.get(f"/statements/{target.statement.slug}/").content.decode()


def test_an_editor_sets_milestones_and_bad_ones_are_explained(client, target):
    staff_login(client, editor(target.commission))
    url = f"/staff/statements/{target.statement.slug}/milestones/"
    client.post(url, {"milestones": "1000, 5000; 10.000"})
    from undersigned.ledger.models import Milestone

    assert list(Milestone.objects.values_list("count", flat=True)) == [1000, 5000, 10000]
    response = client.post(url, {"milestones": "many"}, follow=True)
    assert "whole numbers" in response.content.decode()
    assert Milestone.objects.count() == 3


def test_one_sealing_is_enqueued_per_window_however_many_events(target, monkeypatch, time_machine):
    from django_tasks_db.models import DBTaskResult

    from undersigned.ledger import services

    # Windows are two seconds long: the clock stands still, so the five calls fall in one.
    time_machine.move_to(datetime.now(tz=UTC), tick=False)
    monkeypatch.setattr(services, "_scheduled_window", -1)
    for _ in range(5):
        services.schedule_sealing()
    assert DBTaskResult.objects.filter(task_path="undersigned.ledger.tasks.seal_ledger").count() == 1
