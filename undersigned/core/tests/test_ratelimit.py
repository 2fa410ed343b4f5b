"""Rate limits counted in the database and in Redis give the same answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import override_settings

from undersigned.core import ratelimit
from undersigned.core.models import RateLimitCounter

pytestmark = pytest.mark.django_db


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


def test_each_key_allows_its_own_limit(store):
    limits = [("tight", 1, 60), ("loose", 3, 60)]
    assert [ratelimit.allow_all(limits) for _ in range(4)] == [True, False, False, False]
    assert [ratelimit.allow("loose", limit=3, window_seconds=60) for _ in range(2)] == [False, False]


def test_every_key_is_counted_even_when_another_is_already_over(store):
    assert ratelimit.allow_all([("first", 1, 60)])
    for _ in range(3):
        assert not ratelimit.allow_all([("first", 1, 60), ("second", 3, 60)])
    # "second" saw three hits, though "first" refused each time.
    assert not ratelimit.allow("second", limit=3, window_seconds=60)


def test_the_database_counts_several_keys_in_one_statement(django_assert_num_queries, monkeypatch):
    # Now and then (1 in 100) counting also sweeps expired rows, a second statement; not this time.
    monkeypatch.setattr(ratelimit.random, "random", lambda: 1.0)
    with django_assert_num_queries(1):
        ratelimit.allow_all([("a", 5, 60), ("b", 5, 60), ("c", 5, 600)])
    assert RateLimitCounter.objects.count() == 3


def test_the_same_key_twice_is_a_mistake(store):
    with pytest.raises(ValueError, match="key of its own"):
        ratelimit.allow_all([("same", 1, 60), ("same", 2, 60)])
