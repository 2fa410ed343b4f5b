"""What a backup's manifest records of a database, and what a restore compares: row counts of the
tables that matter and the migrations applied. Read through a DB-API cursor, so that a backup can
read them inside the very snapshot it copies (a SQLite read transaction, a PostgreSQL exported
snapshot) and a restore from the database it has just written.
Table names are our own models', written in double quotes, which both databases read as names.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from undersigned.accounts.models import User
from undersigned.core.models import AuditEvent
from undersigned.ledger.models import Checkpoint, LedgerEntry
from undersigned.organisations.models import SignOn
from undersigned.sealing.models import Trustee
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement

# The rows whose loss a restore must show. A database where all are zero holds nothing to lose.
COUNTED: dict[str, type[models.Model]] = {
    "statements": Statement,
    "signatures": Signature,
    "sign_ons": SignOn,
    "ledger_entries": LedgerEntry,
    "ledger_heads": Checkpoint,
    "trustees": Trustee,
    "staff_accounts": User,
    "audit_events": AuditEvent,
}


def row_counts(cursor: Any, *, existing: set[str]) -> dict[str, int]:
    """The rows of each table in ``COUNTED``; a table not in ``existing`` (a database never
    migrated) counts 0."""
    counts = {}
    for name, model in COUNTED.items():
        table = model._meta.db_table
        if table not in existing:
            counts[name] = 0
            continue
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  (a table name of our own models)
        counts[name] = int(cursor.fetchone()[0])
    return counts


def applied_migrations(cursor: Any, *, existing: set[str]) -> dict[str, list[str]]:
    """Every migration applied, by app, in name order; empty when the database was never migrated."""
    if "django_migrations" not in existing:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(str(app), []).append(str(name))
    return applied
