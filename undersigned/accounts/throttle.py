"""Slows down password guessing: after too many failed sign-ins from one network or for one
address, further tries are refused for a while. Counters live in the cache (Redis when several app
servers share it); addresses are kept only as keyed hashes, never in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from undersigned.federation.selectors import CACHE_ERRORS

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _network(request: HttpRequest) -> str:
    """The /24 (IPv4) or /56 (IPv6) network of the client: one guesser, many addresses."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 56
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _key(kind: str, value: str) -> str:
    digest = hmac.new(settings.DATA_KEYS[0], f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"sign-in-failures:{kind}:{digest}"


def _keys(request: HttpRequest, email: str) -> list[str]:
    return [_key("network", _network(request)), _key("account", email.strip().lower())]


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
