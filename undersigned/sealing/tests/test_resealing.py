"""Re-sealing signers' contact data when an issuing body's trustees change: every record knows the
key set it is sealed to, ``reseal`` moves the records that are sealed to another set, in batches
that a later run continues, and never writes what it opens anywhere."""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from undersigned.core.crypto import new_identity, open_sealed
from undersigned.core.models import AuditEvent
from undersigned.sealing import resealing
from undersigned.sealing import selectors as sealing_selectors
from undersigned.sealing.models import Trustee
from undersigned.sealing.selectors import (
    current_sealing_keys,
    forget_sealing_keys,
    key_set_fingerprint,
    sealing_key_set_for,
)
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tests.conftest import OpenStatement, sign
from undersigned.testing import trustee_for

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command(*args, stdout=out, stderr=err, **extra)
    return out.getvalue(), err.getvalue()


def identity_file(directory: Path, identity: str, name: str = "trustee.key") -> str:
    """An identity file as ``create_trustee_key`` writes it."""
    path = directory / name
    path.write_text(f"# created: today\n{identity}\n", encoding="ascii")
    path.chmod(0o600)
    return str(path)


def opens(record: Signature, identity: str) -> bool:
    try:
        open_sealed(bytes(record.sealed_contact), identity)
    except Exception:  # pyrage's DecryptError
        return False
    return True


def add_trustee(target: OpenStatement, name: str) -> tuple[Trustee, str]:
    trustee, identity = trustee_for(target.commission, name=name)
    forget_sealing_keys()
    return trustee, identity


def remove_trustee(trustee: Trustee) -> None:
    body = trustee.commission.slug if trustee.commission else "federation"
    run("remove_trustee", "--body", body, "--public-key", trustee.public_key)
    forget_sealing_keys()  # the command forgets them after its commit, which the test never makes


def signers(target: OpenStatement, count: int) -> list[Signature]:
    return [
        sign(target, email=f"signer{number}@example.org", name=f"Signer {number}", confirm=True)
        for number in range(count)
    ]


def refreshed(records: list[Signature]) -> list[Signature]:
    return list(Signature.objects.filter(pk__in=[record.pk for record in records]).order_by("pk"))


# --- Knowing to whom a record is sealed -----------------------------------------------------------


def test_a_signature_records_the_key_set_it_is_sealed_to(open_statement):
    signature = sign(open_statement, email="ada@example.org")

    keys = current_sealing_keys(open_statement.commission.pk)
    assert len(keys.public_keys) == 2  # the commission's first trustee and the test's
    assert signature.sealed_to == keys.fingerprint == key_set_fingerprint(reversed(keys.public_keys))
    assert len(signature.sealed_to) == 16


def test_the_fingerprint_changes_with_any_key_added_or_removed():
    first, second, third = (new_identity()[1] for _ in range(3))

    assert key_set_fingerprint([first, second]) == key_set_fingerprint([second, first])
    assert key_set_fingerprint([first, second]) != key_set_fingerprint([first, second, third])
    assert key_set_fingerprint([first, second]) != key_set_fingerprint([first])


def test_signing_hashes_the_key_set_once_per_reading_not_once_per_signature(open_statement, monkeypatch):
    calls = []
    real = sealing_selectors.key_set_fingerprint

    def counted(keys):
        calls.append(1)
        return real(keys)

    monkeypatch.setattr(sealing_selectors, "key_set_fingerprint", counted)
    forget_sealing_keys()

    signers(open_statement, 3)

    assert len(calls) == 1
    assert sealing_key_set_for(open_statement.commission.pk) is sealing_key_set_for(open_statement.commission.pk)


# --- Adding and removing trustees, then re-sealing ------------------------------------------------


def test_after_a_trustee_is_added_and_another_removed_reseal_moves_every_record_to_the_new_set(
    open_statement, tmp_path
):
    records = signers(open_statement, 3)
    withdrawn = sign(open_statement, email="gone@example.org", confirm=True)
    signature_withdraw(signature_id=withdrawn.pk, statement_id=open_statement.statement.pk)
    newcomer, newcomer_identity = add_trustee(open_statement, "Nell Newcomer")
    remove_trustee(open_statement.trustee)
    assert not any(opens(record, newcomer_identity) for record in records)

    # The removed trustee's key still opens the records, so it can hand them over.
    out, err = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity))

    current = current_sealing_keys(open_statement.commission.pk)
    assert newcomer.public_key in current.public_keys
    assert open_statement.trustee.public_key not in current.public_keys
    for record in refreshed(records):
        assert record.sealed_to == current.fingerprint
        assert opens(record, newcomer_identity)
        assert not opens(record, open_statement.identity)
        assert json.loads(open_sealed(bytes(record.sealed_contact), newcomer_identity))["email"].startswith("signer")
    assert Signature.objects.get(pk=withdrawn.pk).sealed_contact in (b"", memoryview(b""))
    assert "re-sealed 3 record(s)" in out
    assert "every record is sealed to its issuing body's current trustees" in out
    assert "record(s)" not in err  # no warning; the progress lines say "records"


def test_reseal_leaves_records_already_sealed_to_the_current_set_alone(open_statement, tmp_path):
    records = signers(open_statement, 2)
    before = [bytes(record.sealed_contact) for record in refreshed(records)]

    out, _ = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity))

    assert [bytes(record.sealed_contact) for record in refreshed(records)] == before
    assert "re-sealed 0 record(s)" in out
    assert not AuditEvent.objects.filter(action="sealed_data.resealed").exists()


def test_records_of_unknown_key_set_are_resealed_once(open_statement, tmp_path):
    records = signers(open_statement, 2)
    Signature.objects.filter(pk__in=[record.pk for record in records]).update(sealed_to="")  # sealed before it was kept

    out, _ = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity))
    again, _ = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity, "again.key"))

    assert "re-sealed 2 record(s)" in out
    assert "re-sealed 0 record(s)" in again
    fingerprint = current_sealing_keys(open_statement.commission.pk).fingerprint
    assert {record.sealed_to for record in refreshed(records)} == {fingerprint}


def test_reseal_writes_an_audit_event_per_batch_with_counts_only(open_statement, tmp_path):
    signers(open_statement, 3)
    add_trustee(open_statement, "Nell Newcomer")

    run("reseal", "--identity", identity_file(tmp_path, open_statement.identity), "--batch-size", "2")

    events = list(AuditEvent.objects.filter(action="sealed_data.resealed").order_by("pk"))
    assert [event.detail["resealed"] for event in events] == [2, 1]
    assert {(event.subject_type, event.subject_id) for event in events} == {
        ("commission", open_statement.commission.pk)
    }
    assert events[0].detail["opened_with"] == [open_statement.trustee.public_key]
    assert "signer" not in json.dumps([event.detail for event in events])


# --- Resuming -------------------------------------------------------------------------------------


def test_a_run_stopped_at_its_limit_is_continued_by_the_next(open_statement, tmp_path):
    records = signers(open_statement, 4)
    add_trustee(open_statement, "Nell Newcomer")
    key = identity_file(tmp_path, open_statement.identity)

    first, _ = run("reseal", "--identity", key, "--batch-size", "1", "--limit", "2")

    fingerprint = current_sealing_keys(open_statement.commission.pk).fingerprint
    assert [record.sealed_to == fingerprint for record in refreshed(records)] == [True, True, False, False]
    assert "stopped at --limit" in first
    assert "2 record(s) are still not sealed" in first

    second, _ = run("reseal", "--identity", key, "--batch-size", "1")

    assert "re-sealed 2 record(s)" in second
    assert all(record.sealed_to == fingerprint for record in refreshed(records))


def test_a_run_that_crashes_keeps_the_batches_it_finished_and_the_next_run_finishes(
    open_statement, tmp_path, monkeypatch
):
    records = signers(open_statement, 4)
    add_trustee(open_statement, "Nell Newcomer")
    key = identity_file(tmp_path, open_statement.identity)
    real_seal, calls = resealing.seal, []

    def seal_then_crash(data, public_keys):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the process killed
        return real_seal(data, public_keys)

    monkeypatch.setattr(resealing, "seal", seal_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run("reseal", "--identity", key, "--batch-size", "1")
    fingerprint = current_sealing_keys(open_statement.commission.pk).fingerprint
    assert [record.sealed_to == fingerprint for record in refreshed(records)] == [True, True, False, False]

    monkeypatch.setattr(resealing, "seal", real_seal)
    out, _ = run("reseal", "--identity", key, "--batch-size", "1")

    assert "re-sealed 2 record(s)" in out
    assert all(record.sealed_to == fingerprint for record in refreshed(records))


def test_a_record_withdrawn_while_the_run_works_is_not_written_back(open_statement, tmp_path, monkeypatch):
    first, second = signers(open_statement, 2)
    add_trustee(open_statement, "Nell Newcomer")
    real_seal = resealing.seal

    def seal_while_the_signer_withdraws(data, public_keys):
        if json.loads(data)["email"] == "signer1@example.org":
            signature_withdraw(signature_id=second.pk, statement_id=open_statement.statement.pk)
        return real_seal(data, public_keys)

    monkeypatch.setattr(resealing, "seal", seal_while_the_signer_withdraws)
    out, _ = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity))

    assert "re-sealed 1 record(s)" in out
    withdrawn = Signature.objects.get(pk=second.pk)
    assert (withdrawn.status, bytes(withdrawn.sealed_contact)) == (Signature.Status.WITHDRAWN, b"")


# --- The identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no AGE-SECRET-KEY-1"),
        ("# only a comment\n", "holds no AGE-SECRET-KEY-1"),
        ("AGE-SECRET-KEY-1QQQQ\n", "line 1 of the identity file is not a valid age identity"),
        ("age1notasecret\n", "line 1 of the identity file is not an age identity"),
        ("age-encryption.org/v1\n-> scrypt abc 18\n", "is itself encrypted"),
        ("AGE-PLUGIN-YUBIKEY-1QQQ\n", "plugin identity"),
    ],
)
def test_an_unusable_identity_file_is_refused_with_a_clear_message(open_statement, tmp_path, content, message):
    signers(open_statement, 1)
    add_trustee(open_statement, "Nell Newcomer")
    path = tmp_path / "bad.key"
    path.write_text(content, encoding="ascii")

    with pytest.raises(CommandError, match=message) as raised:
        run("reseal", "--identity", str(path))

    assert "QQQQ" not in str(raised.value)  # the file's content is never echoed
    assert not AuditEvent.objects.filter(action="sealed_data.resealed").exists()


def test_a_missing_or_binary_identity_file_is_refused(open_statement, tmp_path):
    with pytest.raises(CommandError, match="cannot read the identity file"):
        run("reseal", "--identity", str(tmp_path / "missing.key"))
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff\xfe\x00age")
    with pytest.raises(CommandError, match="not plain text"):
        run("reseal", "--identity", str(binary))


def test_an_identity_that_opens_nothing_changes_nothing_and_says_so(open_statement, tmp_path):
    records = signers(open_statement, 2)
    add_trustee(open_statement, "Nell Newcomer")
    before = [(bytes(record.sealed_contact), record.sealed_to) for record in refreshed(records)]
    stranger, _ = new_identity()

    with pytest.raises(CommandError, match="opens none of the 2 record"):
        run("reseal", "--identity", identity_file(tmp_path, stranger))

    assert [(bytes(record.sealed_contact), record.sealed_to) for record in refreshed(records)] == before
    assert not AuditEvent.objects.filter(action="sealed_data.resealed").exists()


def test_records_the_identity_cannot_open_are_counted_and_left_while_the_others_are_resealed(
    open_statement, mobility, tmp_path
):
    ours = signers(open_statement, 2)
    from undersigned.signatures.tests.conftest import build_open_statement

    theirs_statement = build_open_statement(mobility, slug="safer-streets")
    theirs = sign(theirs_statement, email="other@example.org", confirm=True)
    add_trustee(open_statement, "Nell Newcomer")
    trustee_for(mobility, name="Mo Newcomer")
    forget_sealing_keys()
    theirs_before = bytes(Signature.objects.get(pk=theirs.pk).sealed_contact)

    out, err = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity))

    assert "re-sealed 2 record(s)" in out
    assert "1 record(s) are not sealed to this identity" in err
    assert "1 record(s) are still not sealed" in out
    assert bytes(Signature.objects.get(pk=theirs.pk).sealed_contact) == theirs_before
    fingerprint = current_sealing_keys(open_statement.commission.pk).fingerprint
    assert {record.sealed_to for record in refreshed(ours)} == {fingerprint}


def test_body_limits_the_run_to_one_issuing_body(open_statement, mobility, tmp_path):
    from undersigned.signatures.tests.conftest import build_open_statement

    ours = signers(open_statement, 1)
    theirs = sign(build_open_statement(mobility, slug="safer-streets"), email="other@example.org", confirm=True)
    Signature.objects.update(sealed_to="")  # both sealed before the fingerprint was kept
    key = identity_file(tmp_path, open_statement.identity)

    out, err = run("reseal", "--identity", key, "--body", "public-libraries")

    assert "re-sealed 1 record(s)" in out and "record(s)" not in err
    assert "every record is sealed" in out  # of this body
    assert refreshed(ours)[0].sealed_to == current_sealing_keys(open_statement.commission.pk).fingerprint
    assert Signature.objects.get(pk=theirs.pk).sealed_to == ""
    with pytest.raises(CommandError, match="no commission 'nowhere'"):
        run("reseal", "--identity", key, "--body", "nowhere")


def test_the_identity_may_come_from_standard_input_and_hold_several_keys(open_statement):
    records = signers(open_statement, 2)
    add_trustee(open_statement, "Nell Newcomer")
    stranger, _ = new_identity()

    out, _ = run("reseal", "--identity", "-", stdin=f"# two keys\n{stranger}\n\n{open_statement.identity}\n")

    assert "re-sealed 2 record(s)" in out
    fingerprint = current_sealing_keys(open_statement.commission.pk).fingerprint
    assert {record.sealed_to for record in refreshed(records)} == {fingerprint}


# --- Dry run --------------------------------------------------------------------------------------


def test_a_dry_run_counts_and_changes_nothing(open_statement, tmp_path):
    records = signers(open_statement, 3)
    add_trustee(open_statement, "Nell Newcomer")
    before = [(bytes(record.sealed_contact), record.sealed_to) for record in refreshed(records)]
    events = AuditEvent.objects.count()

    out, _ = run("reseal", "--identity", identity_file(tmp_path, open_statement.identity), "--dry-run")

    assert "signature of public-libraries: 3 to re-seal to 3 trustee(s)" in out
    assert "dry run: 3 record(s) would be re-sealed" in out
    assert [(bytes(record.sealed_contact), record.sealed_to) for record in refreshed(records)] == before
    assert AuditEvent.objects.count() == events


# --- Removing trustees ----------------------------------------------------------------------------


def test_remove_trustee_deactivates_the_key_and_records_it(open_statement):
    remove_trustee(open_statement.trustee)

    trustee = Trustee.objects.get(pk=open_statement.trustee.pk)
    assert not trustee.is_active
    event = AuditEvent.objects.get(action="trustee.removed")
    assert event.detail == {"public_key": trustee.public_key}
    assert trustee.public_key not in sealing_key_set_for(open_statement.commission.pk).public_keys


def test_the_last_trustee_of_a_body_is_never_removed(open_statement):
    (first,) = Trustee.objects.filter(commission=open_statement.commission).exclude(pk=open_statement.trustee.pk)
    remove_trustee(first)

    with pytest.raises(CommandError, match="only trustee"):
        remove_trustee(open_statement.trustee)

    assert Trustee.objects.get(pk=open_statement.trustee.pk).is_active


def test_remove_trustee_refuses_an_unknown_key_or_body(open_statement):
    _, stranger = new_identity()
    with pytest.raises(CommandError, match="no active trustee"):
        run("remove_trustee", "--body", "public-libraries", "--public-key", stranger)
    with pytest.raises(CommandError, match="no active trustee"):
        run("remove_trustee", "--body", "federation", "--public-key", open_statement.trustee.public_key)


# --- Nothing in the clear, anywhere ---------------------------------------------------------------

SECRET_ADDRESS = "Quillon.Reseal-Marchetti@Example-Mail.ORG"
SECRET_NAME = "Quillon Reseal-Marchetti"


def files_written_since(start: float, *directories: str) -> list[Path]:
    found = []
    for directory in directories:
        for root, _dirs, names in os.walk(directory):
            for name in names:
                path = Path(root) / name
                try:
                    if path.stat().st_mtime >= start and path.stat().st_size < 50_000_000:
                        found.append(path)
                except OSError:
                    continue  # another process's file that went meanwhile
    return found


def database_contents() -> bytes:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump()).encode()
    from undersigned.signatures.tests.test_privacy import postgresql_dump

    return postgresql_dump()


@pytest.mark.django_db(transaction=True)
def test_reseal_writes_no_plain_data_to_disk_logs_output_or_database(open_statement, tmp_path, caplog):
    for logger in (None, "undersigned", "django"):
        caplog.set_level(logging.DEBUG, logger=logger)
    record = sign(
        open_statement,
        email=SECRET_ADDRESS,
        name=SECRET_NAME,
        city="Zeravshanbridge",
        name_shown=Signature.NameShown.HIDDEN,  # else the name is in the clear, as the signer chose
        confirm=True,
    )
    add_trustee(open_statement, "Nell Newcomer")
    key = identity_file(tmp_path, open_statement.identity)
    start = time.time() - 1

    out, err = run("reseal", "--identity", key, "--batch-size", "1")

    assert (
        Signature.objects.get(pk=record.pk).sealed_to == current_sealing_keys(open_statement.commission.pk).fingerprint
    )
    secrets = [SECRET_ADDRESS, SECRET_ADDRESS.lower(), SECRET_NAME, "Zeravshanbridge"]
    written = files_written_since(start, str(settings.VAR_DIR), tempfile.gettempdir())
    places = {f"the file {path}": path.read_bytes() for path in written if path.is_file()}
    places |= {"the output": (out + err).encode(), "the logs": caplog.text.encode()}
    places["the database"] = database_contents()
    for where, content in places.items():
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} is in {where}"
