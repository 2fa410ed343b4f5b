"""``backup`` and ``restore`` around the drill: a SQLite copy taken while another process writes,
and every refusal a restore makes before it touches the database."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from undersigned.backups.services import (
    PGDUMP_MAGIC,
    SQLITE_MAGIC,
    BackupRefusedError,
    backup_create,
    manifest_path_of,
    sqlite_copy,
)
from undersigned.core.progress import Progress
from undersigned.statements.models import Statement


class RecordedProgress(Progress):
    """Keeps every (done, total) the copy reported, and lets the test slow each step down."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__(None)
        self.seen: list[tuple[int, int | None]] = []
        self.pause = pause

    def update(self, done: int, total: int | None = None) -> None:
        self.seen.append((done, total))
        if len(self.seen) > 10_000:  # a copy that starts again whenever the database changes never ends
            raise RuntimeError(f"the copy keeps starting again ({len({t for _d, t in self.seen})} different totals)")
        time.sleep(self.pause)


def test_a_sqlite_copy_taken_while_another_connection_writes_is_whole_and_does_not_hold_the_writer(tmp_path):
    database = tmp_path / "site.sqlite3"
    setup = sqlite3.connect(database, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE signatures_signature (id INTEGER PRIMARY KEY, padding BLOB)")
    setup.execute("BEGIN")
    for _ in range(2000):
        setup.execute("INSERT INTO signatures_signature (padding) VALUES (randomblob(400))")
    setup.execute("COMMIT")
    setup.close()
    stop, written_during_copy = threading.Event(), []

    def site_writing() -> None:
        writer = sqlite3.connect(database, isolation_level=None, timeout=5)
        writer.execute("PRAGMA synchronous=OFF")  # the test is of locks, not of the disk's speed
        while not stop.is_set():
            writer.execute("INSERT INTO signatures_signature (padding) VALUES (randomblob(400))")
            written_during_copy.append(time.monotonic())
            time.sleep(0.002)
        writer.close()

    writer = threading.Thread(target=site_writing)
    source = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    progress = RecordedProgress(pause=0.003)
    output = tmp_path / "copy.sqlite3"
    writer.start()
    try:
        time.sleep(0.05)
        started = time.monotonic()
        snapshot = sqlite_copy(source=source, output=output, progress=progress, pages=1)
        finished = time.monotonic()
    finally:
        stop.set()
        writer.join()
    source.close()

    totals = {total for _done, total in progress.seen}
    assert len(progress.seen) > 100, "the copy went in many small steps"
    assert len(totals) == 1, f"the copy restarted (totals {totals})"
    assert sum(started < at < finished for at in written_during_copy) > 5, "the writer was held up by the copy"
    copy = sqlite3.connect(output)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    (rows,) = copy.execute("SELECT COUNT(*) FROM signatures_signature").fetchone()
    copy.close()
    # The counts are those of the copy's own snapshot, not of the database a moment later.
    assert rows == snapshot.counts["signatures"]
    assert 2000 <= rows < 2000 + len(written_during_copy)


@pytest.fixture
def backup(site, tmp_path) -> Path:
    path = tmp_path / "site.backup"
    call_command("backup", "--output", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return path


def restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdin=io.StringIO(), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_a_file(backup):
    before = backup.read_bytes()
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", str(backup), stdout=io.StringIO(), stderr=io.StringIO())
    assert backup.read_bytes() == before


@pytest.mark.django_db(transaction=True)
def test_by_default_a_backup_goes_to_var_dir_backups_with_a_timestamped_name(site, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    outcome = backup_create()

    assert outcome.path.parent == tmp_path / "backups"
    assert outcome.path.name.startswith("undersigned-20") and outcome.path.exists()
    assert (outcome.path.parent.stat().st_mode & 0o777) == 0o700


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_changes(backup):
    content = bytearray(backup.read_bytes())
    content[len(content) // 2] ^= 0xFF
    backup.write_bytes(bytes(content))
    statements = Statement.objects.count()

    with pytest.raises(CommandError, match="not the file its manifest describes"):
        restore(backup, "--yes")
    assert Statement.objects.count() == statements


@pytest.mark.django_db(transaction=True)
def test_a_backup_without_its_manifest_is_refused(backup):
    manifest_path_of(backup).unlink()

    with pytest.raises(CommandError, match="no manifest beside the backup"):
        restore(backup, "--yes")


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_other_engine_is_refused_with_what_to_do(tmp_path):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    path = tmp_path / "other.backup"
    path.write_bytes((SQLITE_MAGIC if other == "sqlite" else PGDUMP_MAGIC) + b"\0" * 100)
    manifest = {
        "format": 1,
        "engine": other,
        "created_at": "2026-12-01T00:00:00+00:00",
        "migrations": {},
        "counts": {},
        "size": 105,
        "sha256": "0" * 64,
    }
    manifest_path_of(path).write_text(json.dumps(manifest))
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    with pytest.raises(CommandError) as refused:
        restore(path, "--yes")

    assert str(refused.value) == (
        f"{path} is a backup of a {names[other]} database and this site runs on {names[connection.vendor]}: "
        f"restore it on a site configured with a {names[other]} DATABASE_URL"
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_made_by_a_newer_version_is_refused(backup):
    manifest = json.loads(manifest_path_of(backup).read_text())
    manifest["migrations"]["signatures"].append("9999_from_the_future")
    manifest_path_of(backup).write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match=r"newer version of Undersigned \(migrations signatures.9999_from"):
        restore(backup, "--yes")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_restore_asks_before_replacing_data_and_anything_but_yes_stops_it(backup):
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was restored"):
        call_command("restore", str(backup), stdin=Terminal("no\n"), stdout=io.StringIO(), stderr=err)
    assert "Type 'yes' to go on" in err.getvalue()
    assert "trustees" in err.getvalue()  # it says what would be replaced


def test_backup_refusals_are_errors_of_their_own():
    assert issubclass(BackupRefusedError, Exception) and not issubclass(BackupRefusedError, CommandError)
