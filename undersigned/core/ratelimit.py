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

from undersigned.core.models import RateLimitCounter
from undersigned.federation.selectors import CACHE_ERRORS

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
    """One statement, atomic on both databases: insert the window's row or add one to it."""
    now = int(time.time())
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608  (quoted table name)
            "ON CONFLICT (key) DO UPDATE SET hits = " + f"{table}.hits + 1 RETURNING hits",
            [bucket, now + window_seconds + 5],
        )
        row = cursor.fetchone()
    hits = int(row[0]) if row else 1
    if hits == 1 and random.random() < 0.01:  # noqa: S311  (sweeping now and then, not a secret)
        RateLimitCounter.objects.filter(expires_at__lt=now).delete()
    return hits
