from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_given():
    # Guards against a PostgreSQL pass that quietly fell back to SQLite.
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "pgsql")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    # The suite's own database is in memory; a file database shows the pragmas as production sets them.
    from django.db.backends.sqlite3.base import DatabaseWrapper

    file_settings = {**connection.settings_dict, "NAME": str(tmp_path / "wal.sqlite3")}
    wrapper = DatabaseWrapper(file_settings, alias="wal_probe")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 1  # NORMAL
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000
    finally:
        wrapper.close()


@pytest.mark.django_db
def test_postgresql_uses_the_connection_pool():
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] >= 1
    assert getattr(connection, "pool", None) is not None


@pytest.mark.django_db(transaction=True)
def test_pooled_connections_the_server_dropped_are_replaced_not_handed_out():
    """What a PostgreSQL restart does to every pooled connection: the server end is gone. The next
    request must get a working connection, not a dead one (which would answer it with a 500)."""
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    from django.db import connections

    # The app's settings, with a pool of this test's own (pools are kept per alias): connections
    # that other tests' threads still hold would count against the shared pool's size.
    pooled = connections.create_connection("default")
    pooled.alias = "pool_under_test"
    try:
        with pooled.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (first,) = cursor.fetchone()
        pooled.close()  # back to the pool, as at the end of a request
        other = connections.create_connection("default")
        other.settings_dict = {**other.settings_dict, "OPTIONS": {}}  # a connection of its own, not the pool's
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT count(pg_terminate_backend(%s))", [first])
                assert cursor.fetchone()[0] == 1
        finally:
            other.close()

        for _ in range(3):  # as many requests as the pool had connections, and more
            with pooled.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                assert cursor.fetchone()[0] != first
            pooled.close()
    finally:
        pooled.close_pool()  # type: ignore[attr-defined]  # PostgreSQL's wrapper has it
