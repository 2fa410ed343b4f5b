"""``/metrics`` in Prometheus's text format, for the addresses in ``METRICS_ALLOWED_NETWORKS`` or a
request that brings ``METRICS_TOKEN``; anyone else gets the site's own "not found", as for any
address that does not exist.

Answered before the host check and the HTTPS redirect, like ``/healthz``: Prometheus scrapes each
app server by its address, over plain HTTP. Scrape every app server: the request timings and
accepted signatures are each server's own (``core.metrics``); the figures read from the database
are the same on every server.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from undersigned.core.metrics import process_metrics
from undersigned.core.network import client_address
from undersigned.core.request_logs import mark_route
from undersigned.monitoring.collectors import DatabaseCollector

PATH = "/metrics"

# Collected at each scrape, never at registration (a registry that describes its collectors
# would read the database on import).
DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
DATABASE_REGISTRY.register(DatabaseCollector())


def may_scrape(request: HttpRequest) -> bool:
    """The bearer token, compared in constant time, or a client address (believed through
    ``TRUSTED_PROXIES`` only, as for the rate limits) in one of the allowed networks."""
    token: str | None = settings.METRICS_TOKEN
    if token is not None:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        # Digests of both: equal lengths, so the comparison tells nothing of the token's length.
        if scheme.lower() == "bearer" and hmac.compare_digest(
            hashlib.sha256(offered.strip().encode()).digest(), hashlib.sha256(token.encode()).digest()
        ):
            return True
    address = client_address(request)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address is not None and any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_text() -> bytes:
    directory = settings.METRICS_MULTIPROCESS_DIR
    process = process_metrics(str(directory) if directory is not None else None)
    return generate_latest(process) + generate_latest(DATABASE_REGISTRY)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != PATH or request.method != "GET" or not may_scrape(request):
            # On to the URL patterns, which have no /metrics: the site's 404, as for any unknown address.
            return self.get_response(request)
        mark_route(request, "metrics")
        response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
        response["Cache-Control"] = "private, no-store"
        return response
