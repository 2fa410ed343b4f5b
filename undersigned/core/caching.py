"""Read-through caching that a cache outage cannot break: the value is read afresh instead."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

# What a cache backend raises when its server is gone: redis-py's own errors and socket errors.
CACHE_ERRORS = (RedisError, OSError)

T = TypeVar("T")


def cached(key: str, seconds: float, read: Callable[[], T], *, fresh: bool = False) -> T:
    """The value under ``key``, else (or with ``fresh``) ``read()``, kept for ``seconds``."""
    if not fresh:
        try:
            value: T | None = cache.get(key)
        except CACHE_ERRORS:
            value = None
        if value is not None:
            return value
    value = read()
    with contextlib.suppress(*CACHE_ERRORS):
        cache.set(key, value, seconds)
    return value
