"""Backing the whole database up to one file, and restoring it.

PostgreSQL: ``pg_dump -Fc`` (compressed, restorable by hand with ``pg_restore``), taken from a
snapshot this process exports, so that the counts written in the manifest are those of the very
rows in the dump. SQLite: the online backup API, a few pages a step, inside a read transaction of
its own: in WAL mode the site's writers go on meanwhile, and the copy is the database as it was
when the transaction began (the steps never restart, since that snapshot cannot change).

Beside each backup, ``<file>.manifest.json``: the engine, when, the migrations applied, the counts
of the rows that matter, the file's size and SHA-256. A restore reads it first and refuses a file
that does not match it, a backup of the other engine, and one made by a newer version of the code.

Nothing here decrypts anything: contact data is stored sealed to the trustees and addresses as
keyed hashes, so the backup file holds them as the database does, unreadable without the keys.
The file is still written 0600, in a 0700 directory: it holds everything else. pg_dump and
pg_restore run with argument lists, never through a shell, and get the password in PGPASSWORD.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from undersigned.backups.selectors import applied_migrations, row_counts
from undersigned.core.progress import Progress, silent

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A step of SQLite's backup copies this many pages (of 4 KiB): small enough to show progress and
# to let the site's writers in between, large enough that the steps cost nothing.
SQLITE_PAGES_PER_STEP = 1024
CHECKSUM_CHUNK = 1 << 20
POSTGRESQL_BIN = Path("/usr/lib/postgresql")


class BackupRefusedError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    engine: str
    created_at: str
    migrations: dict[str, list[str]]
    counts: dict[str, int]
    size: int
    sha256: str
    server_version: str = ""
    format: int = MANIFEST_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a manifest of this format")
        return cls(
            engine=str(data["engine"]),
            created_at=str(data["created_at"]),
            migrations={str(app): [str(name) for name in names] for app, names in dict(data["migrations"]).items()},
            counts={str(name): int(count) for name, count in dict(data["counts"]).items()},
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            server_version=str(data.get("server_version", "")),
        )


@dataclass(frozen=True)
class BackupOutcome:
    path: Path
    manifest_path: Path
    manifest: Manifest


@dataclass(frozen=True)
class Snapshot:
    """What the manifest records of the rows copied, read inside the copy's own snapshot."""

    counts: dict[str, int]
    migrations: dict[str, list[str]]
    server_version: str = ""


@dataclass(frozen=True)
class RestoreOutcome:
    counts: dict[str, int]


def manifest_path_of(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def engine() -> str:
    """``postgresql`` or ``sqlite``: the configured database's."""
    return str(connection.vendor)


def default_backup_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"undersigned-{stamp}{SUFFIXES[engine()]}"


# --- Backup ------------------------------------------------------------------------------------


def backup_create(*, output: Path | None = None, progress: Progress | None = None) -> BackupOutcome:
    """Writes a backup of the configured database to ``output`` (default: a timestamped file in
    ``VAR_DIR/backups/``) and its manifest beside it, both 0600. Safe while the site runs.

    The file appears under its name only once complete: it is written under a temporary name in the
    same directory and renamed. Raises ``BackupRefusedError`` if ``output`` exists or cannot be written.
    """
    progress = progress or silent()
    path = output or default_backup_path()
    manifest_path = manifest_path_of(path)
    for existing in (path, manifest_path):
        if existing.exists():
            raise BackupRefusedError(f"{existing} exists already; a backup never overwrites a file")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupRefusedError(f"cannot create {path.parent}: {error.strerror}") from None
    partial = path.with_name(f".{path.name}.partial")
    started = datetime.now(UTC)  # the manifest's time: when the backup began; its snapshot follows at once
    with _removed_unless_kept(partial) as keep:
        _create_private(partial)
        if engine() == "postgresql":
            snapshot = _postgresql_dump(partial, progress)
        else:
            snapshot = _sqlite_copy(partial, progress)
        size, sha256 = file_digest(partial, progress)
        manifest = Manifest(
            engine=engine(),
            created_at=started.isoformat(timespec="seconds"),
            migrations=snapshot.migrations,
            counts=snapshot.counts,
            size=size,
            sha256=sha256,
            server_version=snapshot.server_version,
        )
        _write_private(manifest_path, manifest.to_json().encode())
        os.replace(partial, path)
        keep()
    return BackupOutcome(path=path, manifest_path=manifest_path, manifest=manifest)


@contextmanager
def _removed_unless_kept(path: Path) -> Iterator[Any]:
    kept = False

    def keep() -> None:
        nonlocal kept
        kept = True

    try:
        yield keep
    finally:
        if not kept:
            with suppress(FileNotFoundError):
                path.unlink()


def _create_private(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupRefusedError(f"cannot write {path.parent}: {error.strerror}") from None


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as manifest_file:
        manifest_file.write(content)


def file_digest(path: Path, progress: Progress | None = None) -> tuple[int, str]:
    """The file's size and SHA-256 (hex)."""
    progress = progress or silent()
    size = path.stat().st_size
    digest = hashlib.sha256()
    progress.start("checksum", size, unit="bytes")
    with path.open("rb") as backup_file:
        while chunk := backup_file.read(CHECKSUM_CHUNK):
            digest.update(chunk)
            progress.advance(len(chunk))
    progress.finish()
    return size, digest.hexdigest()


def _sqlite_tables(cursor: sqlite3.Cursor) -> set[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in cursor.fetchall()}


def _sqlite_copy(partial: Path, progress: Progress) -> Snapshot:
    connection.ensure_connection()
    source = connection.connection
    if not isinstance(source, sqlite3.Connection):
        raise BackupRefusedError("the configured database is not a SQLite connection")
    return sqlite_copy(source=source, output=partial, progress=progress)


def sqlite_copy(
    *, source: sqlite3.Connection, output: Path, progress: Progress, pages: int = SQLITE_PAGES_PER_STEP
) -> Snapshot:
    """Copies the database of ``source`` (a connection in autocommit mode) into the empty file
    ``output`` with the online backup API, ``pages`` pages a step, and returns the counts of the copy.

    Safe while other connections write: a read transaction is held open across the steps, so in
    WAL mode writers go on and every step reads the same snapshot (a backup whose source changes
    under it would otherwise start again, and under a steady flow of signatures might never end).
    """
    if source.in_transaction:
        raise BackupRefusedError("a backup cannot run inside a transaction")
    target = sqlite3.connect(output)
    try:
        # The counts below and every page the backup copies are of one snapshot.
        source.execute("BEGIN DEFERRED")
        try:
            cursor = source.cursor()
            existing = _sqlite_tables(cursor)
            snapshot = Snapshot(
                counts=row_counts(cursor, existing=existing),
                migrations=applied_migrations(cursor, existing=existing),
                server_version=f"SQLite {sqlite3.sqlite_version}",
            )
            progress.start("copying the database", unit="pages")
            source.backup(target, pages=pages, progress=_pages_copied(progress))
        finally:
            source.execute("ROLLBACK")
        # One self-contained file: no write-ahead log beside it to lose in a copy.
        target.execute("PRAGMA journal_mode=DELETE")
        _quick_check(target, "the copy fails SQLite's check ({check}); nothing was kept")
        progress.finish()
    finally:
        target.close()
    return snapshot


def postgresql_binary(name: str, server_major: int) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version if installed (Debian keeps each
    version in /usr/lib/postgresql/<v>/bin), else of the newest installed version above it (newer
    clients read older servers), else the one on PATH."""
    exact = POSTGRESQL_BIN / str(server_major) / "bin" / name
    if exact.is_file():
        return str(exact)
    newer = sorted(
        (int(found.parent.parent.name), found)
        for found in POSTGRESQL_BIN.glob(f"*/bin/{name}")
        if found.parent.parent.name.isdigit() and int(found.parent.parent.name) > server_major
    )
    if newer:
        return str(newer[0][1])
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupRefusedError(
            f"{name} is missing: install the PostgreSQL {server_major} client "
            f"(Debian: postgresql-client-{server_major})"
        )
    return on_path


def postgresql_environment() -> dict[str, str]:
    """The connection for pg_dump and pg_restore, as libpq's PG* variables: a password never
    appears on a command line, where any user of the machine could read it."""
    database = connection.settings_dict
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PG") or name == "PGSSLROOTCERT"
    }
    values = {
        "PGDATABASE": database.get("NAME"),
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
    }
    options = database.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            values[variable] = options[option]
    environment.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    return environment


def postgresql_server_major() -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _postgresql_dump(partial: Path, progress: Progress) -> Snapshot:
    major = postgresql_server_major()
    pg_dump = postgresql_binary("pg_dump", major)
    # Run outside any transaction of the caller's: the snapshot's transaction must be our own.
    if connection.in_atomic_block:
        raise BackupRefusedError("a backup cannot run inside a transaction")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()
            existing = set(connection.introspection.table_names(cursor))
            cursor.execute(
                "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%%'"
            )
            (tables,) = cursor.fetchone()
            snapshot = Snapshot(
                counts=row_counts(cursor, existing=existing),
                migrations=applied_migrations(cursor, existing=existing),
                server_version=f"PostgreSQL {connection.pg_version}",  # type: ignore[attr-defined]
            )
        # pg_dump reads the exported snapshot while this transaction holds it open.
        progress.start("dumping tables", int(tables), unit="tables")
        _run_counting(
            [pg_dump, "--format=custom", "--verbose", f"--snapshot={snapshot_id}", f"--file={partial}"],
            marker="dumping contents of table",
            progress=progress,
            what="pg_dump",
        )
    progress.finish()
    return snapshot


def _run_counting(command: list[str], *, marker: str, progress: Progress, what: str) -> None:
    """Runs a PostgreSQL client with ``--verbose``, counting on ``progress`` each line of its
    standard error that names ``marker``; raises ``BackupRefusedError`` with its errors if it fails."""
    process = subprocess.Popen(  # noqa: S603  (an installed PostgreSQL client, arguments as a list)
        command,
        env=postgresql_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    for line in process.stderr or ():
        if marker in line:
            progress.advance()
        elif "error" in line.lower() or "fatal" in line.lower():
            errors.append(line.strip())
    if process.wait() != 0:
        raise BackupRefusedError(f"{what} failed: " + (" / ".join(errors[-5:]) or f"exit status {process.returncode}"))


# --- Restore -----------------------------------------------------------------------------------

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def engine_of_file(path: Path) -> str | None:
    """The engine a backup file is of, from its first bytes; None when it is of neither."""
    with path.open("rb") as backup_file:
        start = backup_file.read(len(SQLITE_MAGIC))
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def backup_check(*, path: Path, progress: Progress | None = None) -> Manifest:
    """The backup's manifest, once the file is shown to be the one it describes, of this site's
    engine, and not made by a newer version of the code. Raises ``BackupRefusedError``, and changes
    nothing, when any of that fails."""
    if not path.is_file():
        raise BackupRefusedError(f"{path} is not a file")
    manifest_path = manifest_path_of(path)
    try:
        manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupRefusedError(
            f"no manifest beside the backup: {manifest_path} is missing (backup writes it next to the file)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupRefusedError(f"{manifest_path} is not a backup manifest ({error})") from None
    found = engine_of_file(path)
    if found is None or found != manifest.engine:
        raise BackupRefusedError(f"{path} is not a {ENGINE_NAMES.get(manifest.engine, manifest.engine)} backup")
    if found != engine():
        raise BackupRefusedError(
            f"{path} is a backup of a {ENGINE_NAMES[found]} database and this site runs on "
            f"{ENGINE_NAMES[engine()]}: restore it on a site configured with a {ENGINE_NAMES[found]} DATABASE_URL"
        )
    size, sha256 = file_digest(path, progress)
    if (size, sha256) != (manifest.size, manifest.sha256):
        raise BackupRefusedError(
            f"{path} is not the file its manifest describes (SHA-256 {sha256}, expected {manifest.sha256}): "
            "it is damaged or incomplete"
        )
    unknown = _migrations_unknown_to_the_code(manifest.migrations)
    if unknown:
        raise BackupRefusedError(
            f"the backup was made by a newer version of Undersigned (migrations {', '.join(unknown[:5])} are "
            "unknown here): restore it with that version or later"
        )
    return manifest


def _migrations_unknown_to_the_code(migrations: dict[str, list[str]]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, names in sorted(migrations.items())
        for name in names
        if (app, name) not in known and _app_has_migrations_here(app)
    ]


def _app_has_migrations_here(app: str) -> bool:
    # A migration of an app this version no longer installs is history, not something newer.
    from django.apps import apps

    return any(config.label == app for config in apps.get_app_configs())


def database_counts() -> dict[str, int]:
    """The configured database's counts (zeros for a database never migrated)."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        return row_counts(cursor, existing=existing)


def database_holds_data() -> bool:
    return any(database_counts().values())


def backup_restore(*, path: Path, manifest: Manifest, progress: Progress | None = None) -> RestoreOutcome:
    """Replaces the configured database with the backup's content, which ``backup_check`` has
    accepted as ``manifest``. The caller has made sure the data there may go (nothing else asks).

    The site should be stopped meanwhile: its processes would otherwise write into a database
    being replaced. PostgreSQL restores in one transaction (a failure leaves the database as it
    was); SQLite copies page by page under an exclusive lock.
    """
    progress = progress or silent()
    if manifest.engine == "postgresql":
        _postgresql_restore(path, progress)
    else:
        _sqlite_restore(path, progress)
    return RestoreOutcome(counts=database_counts())


def migrations_to_run() -> list[str]:
    """The migrations the restored database lacks (it was backed up by an older version)."""
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in executor.migration_plan(targets)]


def _sqlite_restore(path: Path, progress: Progress) -> None:
    name = str(connection.settings_dict["NAME"])
    connection.close()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(name, timeout=float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 20)))
    except sqlite3.Error as error:
        source.close()
        raise BackupRefusedError(f"cannot open {name} to restore into it: {error}") from None
    try:
        progress.start("restoring the database", unit="pages")

        try:
            source.backup(target, pages=SQLITE_PAGES_PER_STEP, progress=_pages_copied(progress))
        except sqlite3.OperationalError as error:
            raise BackupRefusedError(f"cannot write {name}: {error} (stop the site before restoring)") from None
        # The site runs SQLite in WAL mode; the backup file is in rollback mode. Put the restored
        # database back in WAL, with nothing left in its log from before.
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _quick_check(target, "the restored database fails SQLite's check ({check})")
        progress.finish()
    finally:
        source.close()
        target.close()


TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def _postgresql_restore(path: Path, progress: Progress) -> None:
    major = postgresql_server_major()
    pg_restore = postgresql_binary("pg_restore", major)
    listing = subprocess.run(  # noqa: S603  (an installed PostgreSQL client, arguments as a list)
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupRefusedError(f"pg_restore cannot read {path}: {listing.stderr.strip()}")
    dumped = {match.group(2) for line in listing.stdout.splitlines() if (match := TOC_TABLE.match(line))}
    data_entries = sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
    # Tables the backup does not have (made by migrations newer than it) would stand in the way of
    # migrating the restored database forward: they go, as everything the backup replaces does.
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names(cursor)) - dumped):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connection.close()
    progress.start("restoring tables", data_entries, unit="tables")
    _run_counting(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--verbose",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ],
        marker="processing data for table",
        progress=progress,
        what="pg_restore",
    )
    progress.finish()
    # Pooled connections may know the tables the restore dropped and made again.
    with suppress(AttributeError):
        connection.close_pool()  # type: ignore[attr-defined]


def _pages_copied(progress: Progress) -> Callable[[int, int, int], None]:
    """SQLite's backup callback (status, pages remaining, pages in all) as progress."""

    def copied(status: int, remaining: int, total: int) -> None:
        progress.update(total - remaining, total)

    return copied


def _quick_check(database: sqlite3.Connection, failure: str) -> None:
    """Refuses with ``failure`` (its ``{check}`` filled in) unless SQLite finds the file sound."""
    (check,) = database.execute("PRAGMA quick_check").fetchone()
    if check != "ok":
        raise BackupRefusedError(failure.format(check=check))
