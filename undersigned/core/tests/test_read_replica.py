"""Public reads from a real streaming replica on loopback: a throwaway primary, a standby made by
pg_basebackup -R, the site's router between them.

Replay on the standby is paused so that it visibly lags: a row withdrawn on the primary is still on
the replica. Whoever reads the list then shows which database served them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.local import Local
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test import Client

from config.environment import parse_database_url
from undersigned.core import db_routing
from undersigned.testing import ROOT

pytestmark = [
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="a streaming replica needs PostgreSQL; this pass runs on SQLite",
    ),
    # The test database must exist to be copied; the test itself works on the throwaway primary,
    # outside the usual per-test transaction.
    pytest.mark.django_db(transaction=True),
]


def _run_tests_module() -> Any:
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "scripts" / "run_tests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _database(url: str, name: str) -> dict[str, Any]:
    config = parse_database_url("test", url.rsplit("/", 1)[0] + f"/{name}", sqlite_default="")
    # The settings' pool, as in production: the router must work through it.
    config.update(CONN_MAX_AGE=0, OPTIONS={"pool": {"min_size": 1, "max_size": 4, "timeout": 10}})
    return config


def _copy_test_database(bin_dir: Path, primary_url: str) -> None:
    """The migrated test database, copied into the throwaway primary (faster than migrating)."""
    source = connections["default"].settings_dict
    env = {**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")}
    psql = [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-d", primary_url, "-c", "CREATE DATABASE undersigned"], check=True, env=env)
    dump = subprocess.run(
        [
            str(bin_dir / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-h",
            str(source["HOST"] or "127.0.0.1"),
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            str(source["USER"]),
            "-d",
            str(source["NAME"]),
        ],
        check=True,
        capture_output=True,
        env=env,
    ).stdout
    subprocess.run(
        [*psql, "-d", primary_url.rsplit("/", 1)[0] + "/undersigned"],
        input=dump,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def _databases(databases: dict[str, dict[str, Any]]) -> Iterator[None]:
    """Points the process's connections at other servers for the test, and back afterwards."""

    def close_all() -> None:
        for alias in list(connections.settings):
            connection = connections[alias]
            connection.close()
            if hasattr(connection, "close_pool"):
                connection.close_pool()

    close_all()
    saved = connections.settings, connections._connections  # type: ignore[attr-defined]
    connections.settings = connections.configure_settings(databases)
    # New wrappers for the new servers.
    connections._connections = Local(connections.thread_critical)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        close_all()
        connections.settings, connections._connections = saved  # type: ignore[attr-defined]
        db_routing.forget_replica_health()


def _scalar(alias: str, sql: str) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _wait_for_replay(seconds: float = 15, what: str = "replay") -> None:
    """Until the standby has replayed (or only received) all the primary has written so far."""
    # The insert position: with synchronous_commit off, the last commits may not be written out yet.
    target = _scalar("default", "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _scalar("replica_1", f"SELECT pg_last_wal_{what}_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    where = _scalar("replica_1", "SELECT pg_last_wal_receive_lsn()::text || ' ' || pg_last_wal_replay_lsn()::text")
    raise AssertionError(f"the standby did not replay the primary's writes up to {target}: {where}")


@pytest.fixture
def replicated(django_db_blocker, settings) -> Iterator[None]:
    run_tests = _run_tests_module()
    try:
        bin_dir = run_tests.postgres_bin_dir()
    except SystemExit as error:
        pytest.skip(str(error))
    with contextlib.ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        primary_url = stack.enter_context(run_tests.throwaway_postgres())
        _copy_test_database(bin_dir, primary_url)
        standby_url = stack.enter_context(run_tests.throwaway_standby(primary_url))
        stack.enter_context(
            _databases(
                {"default": _database(primary_url, "undersigned"), "replica_1": _database(standby_url, "undersigned")}
            )
        )
        settings.DATABASE_REPLICAS = ["replica_1"]
        settings.DATABASE_REPLICA_MAX_LAG = 60
        db_routing.forget_replica_health()
        yield


def _site_with_two_signatures() -> tuple[Any, Any, Any]:
    from undersigned.api.tests.conftest import confirmed_signature
    from undersigned.commissions.services import CommissionTextInput, commission_create
    from undersigned.federation.selectors import LocalisedText
    from undersigned.federation.services import federation_update
    from undersigned.organisations.types import ensure_builtin_types
    from undersigned.signatures.tests.conftest import build_open_statement
    from undersigned.testing import trustee_for

    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="")},
    )
    trustee_for(None)
    commission = commission_create(
        actor=None, slug="public-libraries", texts={"en": CommissionTextInput(name="Libraries", mandate="")}
    )
    ensure_builtin_types()
    statement = build_open_statement(commission).statement
    ana = confirmed_signature(statement, "ana@example.org", name="Ana Pérez")
    bruno = confirmed_signature(statement, "bruno@example.org", name="Bruno Braga")
    return statement, ana, bruno


def test_public_reads_come_from_the_replica_an_actor_reads_the_primary_and_lag_falls_back(replicated, settings):
    from undersigned.signatures.models import Signature
    from undersigned.signatures.tokens import SignatureRef, withdraw_token

    assert _scalar("replica_1", "SELECT pg_is_in_recovery()") is True
    statement, ana, bruno = _site_with_two_signatures()
    list_url = f"/statements/{statement.slug}/signatures/"
    _wait_for_replay()

    # The router's choice, seen from inside: a marked read asks a server in recovery.
    with db_routing.replica_reads():
        assert Signature.objects.filter(pk=ana.pk).db == "replica_1"
        with transaction.atomic():
            assert Signature.objects.filter(pk=ana.pk).db == "default"  # a transaction reads the primary
    assert Signature.objects.filter(pk=ana.pk).db == "default"  # unmarked reads too

    # The standby stops replaying: from here on it is in the past.
    _scalar("replica_1", "SELECT pg_wal_replay_pause()::text")
    signer = Client()
    token = withdraw_token(SignatureRef(signature_id=bruno.pk, statement_id=statement.pk))
    withdrawn = signer.post(f"/signatures/withdraw/{token}/")
    assert withdrawn.status_code == 200
    assert Signature.objects.get(pk=bruno.pk).status == Signature.Status.WITHDRAWN  # on the primary

    pin = withdrawn.cookies[db_routing.PIN_COOKIE]
    assert pin.value == "1" and pin["httponly"] and pin["samesite"] == "Lax"
    assert int(pin["max-age"]) == settings.READ_YOUR_WRITES_SECONDS

    # The signer, pinned to the primary, no longer sees their name; a stranger is served by the
    # replica, which has not replayed the withdrawal yet.
    assert "Bruno Braga" not in signer.get(list_url).content.decode()
    stranger = Client()
    assert "Bruno Braga" in stranger.get(list_url).content.decode()
    assert "Ana Pérez" in stranger.get(list_url).content.decode()
    # The same list through the API's list endpoint, also a marked read.
    signatories = stranger.get(f"/api/v1/statements/{statement.slug}/signatories").content.decode()
    assert "Bruno Braga" in signatories
    # Pages not marked for the replica read the primary even for the stranger: the withdrawal link.
    assert "withdrawn" in stranger.get(f"/signatures/withdraw/{token}/").content.decode().lower()

    # Lag beyond the bound: the paused standby is older than 0 s, so the stranger reads the primary.
    _wait_for_replay(what="receive")  # it knows there is more than it has replayed
    settings.DATABASE_REPLICA_MAX_LAG = 0
    db_routing.forget_replica_health()
    assert "Bruno Braga" not in stranger.get(list_url).content.decode()

    # Replay resumes: the replica catches up and serves the stranger the withdrawal.
    _scalar("replica_1", "SELECT pg_wal_replay_resume()::text")
    _wait_for_replay()
    settings.DATABASE_REPLICA_MAX_LAG = 60
    db_routing.forget_replica_health()
    assert "Bruno Braga" not in stranger.get(list_url).content.decode()

    # The replica goes away: reads go to the primary, and the page still answers.
    replica: Any = connections["replica_1"]
    replica.close()
    replica.close_pool()
    connections["replica_1"].settings_dict["PORT"] = 1  # nothing listens there
    connections["replica_1"].settings_dict["OPTIONS"]["pool"]["timeout"] = 1
    db_routing.forget_replica_health()
    with db_routing.replica_reads():
        assert Signature.objects.filter(pk=ana.pk).db == "default"
    page = stranger.get(list_url)
    assert page.status_code == 200 and "Ana Pérez" in page.content.decode()
