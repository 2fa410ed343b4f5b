"""Fixed-window rate limits, shared by every app server.

In Redis when ``REDIS_URL`` is set (atomic INCR); otherwise in the database, which a single
process or several on one database share. Keys must already be hashes: no address is stored.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

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


def _count_in_cache(bucket: str, window_seconds: int) -> int:
    if cache.add(bucket, 1, window_seconds + 5):
        return 1
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, window_seconds + 5)
        return 1


def _count_in_database(bucket: str, window_seconds: int) -> int:
    expires = int(time.time()) + window_seconds + 5
    with transaction.atomic():
        updated = RateLimitCounter.objects.filter(key=bucket).update(hits=F("hits") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=bucket, hits=1, expires_at=expires)
                return 1
            except IntegrityError:  # another request created it first
                RateLimitCounter.objects.filter(key=bucket).update(hits=F("hits") + 1)
        hits = RateLimitCounter.objects.filter(key=bucket).values_list("hits", flat=True).first() or 1
    if hits == 1 or hits % 100 == 0:
        RateLimitCounter.objects.filter(expires_at__lt=int(time.time())).delete()
    return int(hits)
