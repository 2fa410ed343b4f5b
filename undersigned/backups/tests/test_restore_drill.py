"""The restore drill, on whichever database the suite runs (both passes of ``make test`` run it):
a site with signatures in every state, sign-ons, a sealed ledger and a trustee's key is backed up
while it runs, restored into a fresh database by the commands an operator types, and then must
count the same, pass ``verify_tally`` and ``verify_audit``, and give a trustee a sealed export
that opens with their key. The backup itself holds no signer's address or hidden name in the clear."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from undersigned.backups.services import (
    Manifest,
    database_counts,
    manifest_path_of,
    postgresql_binary,
    postgresql_server_major,
)
from undersigned.organisations.services.sign_ons import sign_on_confirm, sign_ons_approve
from undersigned.organisations.tests.test_resealing import submitted_sign_on
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tests.conftest import build_open_statement, sign
from undersigned.testing import ROOT, secretariat

pytestmark = pytest.mark.django_db(transaction=True)

# Distinctive values, so that finding one in the backup cannot be a coincidence.
SHOWN = {"email": "Ada.Shown@Example-Mail.ORG", "name": "Adelheid Shownworth"}
HIDDEN = {"email": "quillon.hidden@example-mail.org", "name": "Quillon Marchetti-Abara"}
PENDING = {"email": "pia.pending@example-mail.org", "name": "Pialuisa Unconfirmedova"}
WITHDRAWN = {"email": "wanda.withdrawn@example-mail.org", "name": "Wandaleigh Changedmind"}
CONTACT = {"contact_email": "rosa.contact@readers-guild.example", "contact_name": "Rosalind Contactperson"}


def secrets() -> list[str]:
    """What must not be in the backup in the clear: every address (as typed and lower-cased), the
    names of signers who chose to hide them, and the sign-on contact's name. (A name its signer
    chose to show is stored as shown, for the public list.)"""
    addresses = [SHOWN["email"], HIDDEN["email"], PENDING["email"], WITHDRAWN["email"], CONTACT["contact_email"]]
    names = [HIDDEN["name"], PENDING["name"], WITHDRAWN["name"], CONTACT["contact_name"]]
    return addresses + [address.lower() for address in addresses] + names


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the suite's engine, apart from the one the test runs in."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"{settings['NAME']}_restored"[:63]
    server = {
        "host": settings["HOST"] or "localhost",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a process of its own, on ``database_url``, with the suite's keys."""
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clear_content(backup: Path) -> bytes:
    """The backup's content as the database holds it: a SQLite file is its own content; pg_dump's
    custom format is compressed, so it is read back as SQL with pg_restore."""
    if connection.vendor == "sqlite":
        return backup.read_bytes()
    pg_restore = postgresql_binary("pg_restore", postgresql_server_major())
    result = subprocess.run([pg_restore, "--file=-", str(backup)], capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def build_site_to_back_up(libraries, tmp_path: Path) -> tuple[str, Path]:
    """A running site's data; returns the statement's slug and the trustee's key file."""
    ensure_builtin_types()
    target = build_open_statement(libraries)
    key = tmp_path / "rita.key"
    call_command(
        "create_trustee_key",
        "--output",
        str(key),
        "--body",
        "public-libraries",
        "--name",
        "Rita Restore",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    sign(target, email=SHOWN["email"], name=SHOWN["name"], confirm=True)
    sign(target, email=HIDDEN["email"], name=HIDDEN["name"], name_shown=Signature.NameShown.HIDDEN, confirm=True)
    hidden = Signature.NameShown.HIDDEN
    sign(target, email=PENDING["email"], name=PENDING["name"], name_shown=hidden, country="FR")
    withdrawn = sign(
        target, email=WITHDRAWN["email"], name=WITHDRAWN["name"], name_shown=hidden, country="FR", confirm=True
    )
    assert signature_withdraw(signature_id=withdrawn.pk, statement_id=target.statement.pk)
    approved = submitted_sign_on(target, **CONTACT)
    sign_on_confirm(sign_on_id=approved.pk, statement_id=target.statement.pk)
    assert sign_ons_approve(actor=secretariat(), sign_on_ids=[approved.pk]).changed == 1
    submitted_sign_on(target, name="Awaiting Confirmation Society", network_hash="m" * 64, **CONTACT)
    call_command("seal_ledger", stdout=io.StringIO())
    return target.statement.slug, key


def test_a_backup_restores_into_a_fresh_database_that_counts_verifies_and_exports_the_same(
    libraries, tmp_path, fresh_database_url
):
    slug, key = build_site_to_back_up(libraries, tmp_path)
    counts_before = database_counts()
    assert counts_before["signatures"] == 4 and counts_before["sign_ons"] == 2
    assert counts_before["ledger_entries"] >= 5  # three confirmations, a withdrawal, an approval

    backup = tmp_path / "site.backup"
    out = io.StringIO()
    call_command("backup", "--output", str(backup), stdout=out, stderr=io.StringIO())

    assert f"backup: {backup}" in out.getvalue()
    for written in (backup, manifest_path_of(backup)):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    manifest = Manifest.from_json(manifest_path_of(backup).read_text())
    assert manifest.engine == connection.vendor
    assert manifest.counts == counts_before
    assert f"sha256: {manifest.sha256}" in out.getvalue()

    # No contact data in the clear, in the content read as the database would hold it.
    content = clear_content(backup)
    assert slug.encode() in content and SHOWN["name"].encode() in content  # the grep reads real rows
    for secret in secrets():
        assert secret.encode() not in content, f"{secret!r} is in the backup"

    restored = manage("restore", str(backup), "--verify", database_url=fresh_database_url)

    assert restored.returncode == 0, restored.stderr
    printed = dict(line.split(": ", 1) for line in restored.stdout.splitlines() if ": " in line)
    assert {name: int(printed[name]) for name in counts_before} == counts_before
    assert "the counts match the backup's manifest" in restored.stdout
    assert "every count agrees with the confirmed signatures and the approved sign-ons" in restored.stdout
    assert f"{slug}: {counts_before['ledger_entries']} entries, chain and counts agree" in restored.stdout
    assert "restoring" in restored.stderr  # progress went to stderr

    export = tmp_path / "after-restore.zip"
    exported = manage(
        "export_signatures", "--statement", slug, "--output", str(export), "--include-pending",
        database_url=fresh_database_url,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    opened = tmp_path / "opened.csv"
    call_command("open_export", str(export), "--identity", str(key), "--output", str(opened))
    rows = {row["email"]: row for row in csv.DictReader(opened.open(encoding="utf-8"))}
    assert set(rows) == {SHOWN["email"], HIDDEN["email"], PENDING["email"]}
    assert rows[HIDDEN["email"]]["name"] == HIDDEN["name"]
    assert rows[PENDING["email"]]["status"] == "pending"


def test_a_restore_refuses_to_replace_a_database_that_holds_data(libraries, tmp_path):
    slug, _key = build_site_to_back_up(libraries, tmp_path)
    backup = tmp_path / "site.backup"
    call_command("backup", "--output", str(backup), stdout=io.StringIO(), stderr=io.StringIO())
    from undersigned.statements.models import Statement

    Statement.objects.filter(slug=slug).update(retention_days=17)

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"holds data \(.*4 signatures.*\); add --yes"):
        call_command("restore", str(backup), stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO())
    assert Statement.objects.get(slug=slug).retention_days == 17  # nothing was replaced


OLDER_BACKUP = """
import sys

import django

django.setup()
from django.core.management import call_command

call_command("restore", sys.argv[1], verbosity=0)
call_command("migrate", "ledger", "0004", verbosity=0)
call_command("backup", "--output", sys.argv[2])
"""


def test_a_backup_made_before_a_migration_is_migrated_forward_when_restored(site, tmp_path, fresh_database_url):
    current = tmp_path / "current.backup"
    call_command("backup", "--output", str(current), stdout=io.StringIO(), stderr=io.StringIO())
    # The site as an older version left it (without the ledger's last migrations: an index, the site
    # log and its entries), backed
    # up: made in one process of its own on the fresh database, to spare the suite three start-ups.
    older = tmp_path / "older.backup"
    made = subprocess.run(
        [sys.executable, "-c", OLDER_BACKUP, str(current), str(older)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": fresh_database_url, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert "0005_entries_by_kind" not in Manifest.from_json(manifest_path_of(older).read_text()).migrations["ledger"]

    restored = manage("restore", str(older), "--yes", database_url=fresh_database_url)

    assert restored.returncode == 0, restored.stderr
    assert "the backup is older than this version: applying 4 migration(s): ledger.0005_entries_by_kind" in (
        restored.stderr
    )
    assert "the counts match the backup's manifest" in restored.stdout
