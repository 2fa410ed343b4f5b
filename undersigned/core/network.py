"""Where a request comes from, kept only as a keyed hash of its network.

The client's own address is never stored. Its /24 (IPv4) or /48 (IPv6) network, hashed with a
server key, is enough to rate-limit and to spot bursts, and reveals no one.
``X-Forwarded-For`` is believed only when the direct peer is one of ``TRUSTED_PROXIES``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from functools import lru_cache

import maxminddb
from django.conf import settings
from django.http import HttpRequest

from undersigned.core import process_caches
from undersigned.core.crypto import keyed_hash

logger = logging.getLogger(__name__)
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer is one of ``TRUSTED_PROXIES``, whose headers may be believed."""
    try:
        return _trusted(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return False


def client_address(request: HttpRequest) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    if not _trusted(peer):
        return peer
    # Walk X-Forwarded-For from the right: the first address not added by our own proxies is the client.
    forwarded = request.headers.get("X-Forwarded-For", "")
    for part in reversed([item.strip() for item in forwarded.split(",") if item.strip()]):
        try:
            hop = ipaddress.ip_address(part)
        except ValueError:
            return peer
        if not _trusted(hop):
            return hop
    return peer


def network_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def network_hash(request: HttpRequest) -> str:
    """A keyed hash of the client's network; the same network always gives the same hash."""
    return keyed_hash("network", network_of(client_address(request)))


@process_caches.register_function(
    never_stale="keyed by the file's path and modification time: a database the operator replaces is opened anew"
)
@lru_cache(maxsize=1)
def _geoip_reader(path: str, modified_ns: int) -> maxminddb.Reader:
    """``modified_ns`` is only part of the key: a new file is a new key, and evicts the old reader."""
    return maxminddb.open_database(path)


def network_country(request: HttpRequest) -> str | None:
    """The country of the client's address by the local GeoIP database (``GEOIP_DATABASE``, a
    MaxMind-format country file the operator installs; none is shipped), or None. The address is
    looked up in memory and never kept."""
    if not settings.GEOIP_DATABASE:
        return None
    address = client_address(request)
    if address is None:
        return None
    try:
        path = str(settings.GEOIP_DATABASE)
        record = _geoip_reader(path, os.stat(path).st_mtime_ns).get(address)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError):
        logger.warning("the GeoIP database cannot be read")
        return None
    if not isinstance(record, dict):
        return None
    country = record.get("country") or record.get("registered_country") or {}
    code = country.get("iso_code") if isinstance(country, dict) else None
    return code if isinstance(code, str) and len(code) == 2 else None
