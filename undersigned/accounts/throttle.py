"""Slows down password guessing: after too many failed sign-ins from one network or for one
address, further tries are refused for a while. Counters live in the cache (Redis when several app
servers share it); addresses are kept only as keyed hashes, never in the clear.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.crypto import keyed_hash
from undersigned.core.network import network_hash

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _keys(request: HttpRequest, email: str) -> list[str]:
    return [
        f"sign-in-failures:network:{network_hash(request)[:32]}",
        f"sign-in-failures:account:{keyed_hash('staff-email', email.strip().lower())[:32]}",
    ]


def sign_in_blocked(request: HttpRequest, email: str) -> bool:
    try:
        counts = cache.get_many(_keys(request, email))
    except CACHE_ERRORS:
        return False  # an unavailable cache must not lock the staff out
    return any(count >= MAX_FAILURES for count in counts.values())


def sign_in_failed(request: HttpRequest, email: str) -> None:
    for key in _keys(request, email):
        try:
            if cache.add(key, 1, WINDOW_SECONDS):
                continue
            cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS)
        except CACHE_ERRORS:
            return
