"""The one rate limiter: its rules count the same in the database and in Redis, a Redis outage
moves the counting to the database, and a rule says what happens when nothing can count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from undersigned.core import ratelimit
from undersigned.core.models import RateLimitCounter, SingleUseMark
from undersigned.core.ratelimit import CLOSED, OPEN, Rule
from undersigned.core.single_use import first_use

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules(monkeypatch) -> None:
    monkeypatch.setitem(ratelimit.RULES, "test.tight", Rule(1, 60, OPEN, "a test's hits"))
    monkeypatch.setitem(ratelimit.RULES, "test.loose", Rule(3, 60, OPEN, "a test's hits"))
    monkeypatch.setitem(ratelimit.RULES, "test.slow", Rule(5, 600, OPEN, "a test's hits"))
    monkeypatch.setitem(ratelimit.RULES, "test.lockout", Rule(3, 900, CLOSED, "a test's failures"))


@pytest.fixture(params=["database", "redis"])
def store(request) -> Iterator[str]:
    if request.param == "database":
        yield "database"
        return
    url = request.getfixturevalue("redis_url")
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(REDIS_URL=url, CACHES=caches):
        cache.clear()
        yield "redis"
        cache.clear()


@pytest.fixture
def redis_down(unused_port) -> Iterator[None]:
    """Redis configured, but nothing answers at its address."""
    url = f"redis://127.0.0.1:{unused_port}/0"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(REDIS_URL=url, CACHES=caches):
        yield


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_refuses_counters() -> Iterator[None]:
    """The database answers everything but the rate-limit table (a failing disk, a lock timeout)."""

    def refuse(execute, sql, params, many, context):
        if RateLimitCounter._meta.db_table in sql:
            # A real error from the database itself, so that PostgreSQL marks a transaction aborted.
            return execute("SELECT * FROM no_such_table_for_counters", None, False, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_each_rule_allows_its_own_limit(store):
    checks = [("test.tight", "a"), ("test.loose", "a")]
    assert [ratelimit.allow(*checks) for _ in range(4)] == [True, False, False, False]
    # "loose" saw four hits already, over its three.
    assert not ratelimit.allow(("test.loose", "a"))
    # Another subject is counted apart.
    assert ratelimit.allow(("test.tight", "b"))


def test_every_check_is_counted_even_when_another_is_already_over(store):
    assert ratelimit.allow(("test.tight", "x"))
    for _ in range(3):
        assert not ratelimit.allow(("test.tight", "x"), ("test.loose", "x"))
    # "loose" saw three hits, though "tight" refused each time.
    assert not ratelimit.allow(("test.loose", "x"))


def test_the_database_counts_several_checks_in_one_statement(monkeypatch):
    from django.test.utils import CaptureQueriesContext

    # Now and then (1 in 100) counting also sweeps expired rows, a second statement; not this time.
    monkeypatch.setattr(ratelimit.random, "random", lambda: 1.0)
    with CaptureQueriesContext(connection) as captured:
        ratelimit.allow(("test.tight", "a"), ("test.loose", "a"), ("test.slow", "a"))
    # Inside the test's transaction a savepoint wraps it; the counting itself is one statement.
    statements = [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"].upper()]
    assert len(statements) == 1
    assert RateLimitCounter.objects.count() == 3


def test_the_same_check_twice_is_a_mistake(store):
    with pytest.raises(ValueError, match="subject of its own"):
        ratelimit.allow(("test.tight", "same"), ("test.tight", "same"))


def test_a_rule_nobody_wrote_down_cannot_be_used():
    with pytest.raises(KeyError):
        ratelimit.allow(("made.up", "a"))


def test_failures_lock_out_once_the_limit_is_reached_until_they_age_out(store):
    with time_machine.travel("2026-12-01 10:00:30Z", tick=False) as clock:
        for _ in range(2):
            ratelimit.record_failure(("test.lockout", "account"))
        assert not ratelimit.exhausted(("test.lockout", "account"))  # looking counts nothing
        assert not ratelimit.exhausted(("test.lockout", "account"))
        ratelimit.record_failure(("test.lockout", "account"))
        assert ratelimit.exhausted(("test.lockout", "account"))
        assert not ratelimit.exhausted(("test.lockout", "other-account"))
        clock.shift(900)  # the next window: the failures of the one before still count
        assert ratelimit.exhausted(("test.lockout", "account"))
        clock.shift(900)
        assert not ratelimit.exhausted(("test.lockout", "account"))


def test_failures_either_side_of_a_windows_end_count_together(store):
    with time_machine.travel("2026-12-01 10:14:59Z", tick=False) as clock:
        for _ in range(2):
            ratelimit.record_failure(("test.lockout", "account"))
        clock.shift(2)  # 10:15:01, a new window
        assert not ratelimit.exhausted(("test.lockout", "account"))
        ratelimit.record_failure(("test.lockout", "account"))
        assert ratelimit.exhausted(("test.lockout", "account"))


def test_any_subject_makes_a_key_the_counters_can_hold(store):
    long_and_odd = "ø\x00" * 500
    assert ratelimit.allow(("test.tight", long_and_odd))
    assert not ratelimit.allow(("test.tight", long_and_odd))


def test_a_database_failure_inside_a_transaction_leaves_it_usable(database_refuses_counters):
    from django.db import transaction

    with transaction.atomic():
        assert ratelimit.allow(("test.tight", "a"))
        assert SingleUseMark.objects.count() == 0  # the transaction still answers


def test_with_redis_down_the_database_counts_and_every_server_sees_it(redis_down):
    assert ratelimit.allow(("test.tight", "a"))
    assert not ratelimit.allow(("test.tight", "a"))
    for _ in range(3):
        ratelimit.record_failure(("test.lockout", "account"))
    # The lock-out is in the database, so it holds for every app server, not only this process.
    assert RateLimitCounter.objects.filter(key__contains="test.lockout").get().hits == 3
    assert ratelimit.exhausted(("test.lockout", "account"))


def test_when_nothing_can_count_an_open_rule_lets_through_and_a_closed_one_refuses(database_refuses_counters):
    assert all(ratelimit.allow(("test.tight", "a")) for _ in range(3))
    assert ratelimit.exhausted(("test.lockout", "account"))
    assert not ratelimit.allow(("test.lockout", "account"))


def test_a_mark_is_first_only_once_and_frees_its_key_when_its_time_is_over():
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False) as clock:
        assert first_use("link:abc", ttl_seconds=60)
        assert not first_use("link:abc", ttl_seconds=60)
        assert first_use("link:other", ttl_seconds=60)
        clock.shift(61)
        assert first_use("link:abc", ttl_seconds=60)


def test_single_use_marks_are_kept_in_the_database_even_with_redis(redis_down):
    assert first_use("proof:1", ttl_seconds=600)
    assert not first_use("proof:1", ttl_seconds=600)
    assert SingleUseMark.objects.filter(key="proof:1").exists()


def test_every_rule_is_complete():
    for name, rule in ratelimit.RULES.items():
        assert rule.limit > 0 and rule.window_seconds > 0, name
        assert rule.counts, name
