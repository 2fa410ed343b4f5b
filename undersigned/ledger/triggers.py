"""The SQLite triggers that keep the ledger append-only, as SQL: the test suite's flush (which
empties every table between tests that commit) lifts them around its DELETEs. On PostgreSQL the
flush uses TRUNCATE, which row triggers do not see."""

from __future__ import annotations

TABLES = (
    "ledger_ledgerentry",
    "ledger_checkpoint",
    "ledger_logleaf",
    "ledger_loghash",
    "ledger_logcheckpoint",
    "ledger_logcosignature",
)


def sqlite_drop_statements() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{operation}" for table in TABLES for operation in ("update", "delete")]


def sqlite_create_statements() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the count ledger is append-only ({operation} on {table})'); END"
        for table in TABLES
        for operation in ("UPDATE", "DELETE")
    ]
