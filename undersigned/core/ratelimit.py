"""Fixed-window rate limits, shared by every app server.

In Redis when ``REDIS_URL`` is set (atomic INCR); otherwise in the database, which a single
process or several on one database share. Keys must already be hashes: no address is stored.
"""

from __future__ import annotations

import logging
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.models import RateLimitCounter

logger = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Counts one hit on ``key``; False once more than ``limit`` hits fall in the current window."""
    window = int(time.time() // window_seconds)
    bucket = f"ratelimit:{key}:{window_seconds}:{window}"
    if settings.REDIS_URL:
        try:
            return _count_in_cache(bucket, window_seconds) <= limit
        except CACHE_ERRORS:
            logger.warning("cache unavailable; counting rate limits in the database")
    return _count_in_database(bucket, window_seconds) <= limit


def allow_all(limits: list[tuple[str, int, int]]) -> bool:
    """Counts one hit on each ``(key, limit, window_seconds)``; False if any is over its limit.

    Every key is counted even when an earlier one is already over, and in the database all of
    them in one statement: a signature checks three limits and should not pay three round trips.
    """
    if len({key for key, _limit, _window in limits}) != len(limits):
        raise ValueError("each rate limit needs a key of its own")
    now = time.time()
    buckets = [(f"ratelimit:{key}:{window}:{int(now // window)}", limit, window) for key, limit, window in limits]
    if settings.REDIS_URL:
        try:
            within = [_count_in_cache(bucket, window) <= limit for bucket, limit, window in buckets]
            return all(within)
        except CACHE_ERRORS:
            logger.warning("cache unavailable; counting rate limits in the database")
    hits = _count_many_in_database([(bucket, window) for bucket, _limit, window in buckets])
    return all(hits[bucket] <= limit for bucket, limit, _window in buckets)


def first_time(key: str, *, ttl_seconds: int) -> bool:
    """True the first time ``key`` is seen within ``ttl_seconds``, in every process (single use)."""
    bucket = f"once:{key}"
    if settings.REDIS_URL:
        try:
            return bool(cache.add(bucket, 1, ttl_seconds))
        except CACHE_ERRORS:
            logger.warning("cache unavailable; keeping single-use marks in the database")
    return _count_in_database(bucket, ttl_seconds) == 1


def _count_in_cache(bucket: str, window_seconds: int) -> int:
    if cache.add(bucket, 1, window_seconds + 5):
        return 1
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, window_seconds + 5)
        return 1


def _count_in_database(bucket: str, window_seconds: int) -> int:
    return _count_many_in_database([(bucket, window_seconds)])[bucket]


def _count_many_in_database(buckets: list[tuple[str, int]]) -> dict[str, int]:
    """One statement, atomic on both databases: insert each window's row or add one to it."""
    now = int(time.time())
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    rows = ", ".join(["(%s, 1, %s)"] * len(buckets))
    parameters: list[str | int] = []
    for bucket, window_seconds in buckets:
        parameters += [bucket, now + window_seconds + 5]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, hits, expires_at) VALUES {rows} "  # noqa: S608  (quoted table name, placeholders)
            "ON CONFLICT (key) DO UPDATE SET hits = " + f"{table}.hits + 1 RETURNING key, hits",
            parameters,
        )
        hits = {str(key): int(count) for key, count in cursor.fetchall()}
    if 1 in hits.values() and random.random() < 0.01:  # noqa: S311  (sweeping now and then, not a secret)
        RateLimitCounter.objects.filter(expires_at__lt=now).delete()
    return hits
