"""A request id for every request, one log line per request, and log records as JSON lines.

The id is the proxy's (``X-Request-ID``) when the request came through one of ``TRUSTED_PROXIES``
and the id is well-formed, so nginx's log and ours name a request alike; otherwise a new one. It is
sent back in ``X-Request-ID`` and stamped on every record logged while the request is handled
(a context variable, read by ``RequestIdFilter``), whichever thread or logger logs it.

A request's line names its route, never its path (a path may hold a personal link's token, a
query string anything): method, route name, status and duration. No address, cookie or header.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from undersigned.core.metrics import REQUEST_DURATION, method_label
from undersigned.core.network import from_trusted_proxy

logger = logging.getLogger("undersigned.requests")

REQUEST_ID_HEADER = "X-Request-ID"
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
NO_REQUEST = "-"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_for(request: HttpRequest) -> str:
    """The proxy's id for the request, if a trusted proxy gave a well-formed one; else a new one."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if offered and WELL_FORMED_REQUEST_ID.fullmatch(offered) and from_trusted_proxy(request):
        return offered
    return uuid.uuid4().hex


def mark_route(request: HttpRequest, name: str) -> None:
    """Names the route of a request that a middleware answers before URL resolution (``/healthz``,
    ``/metrics``), for its log line and its timing."""
    request.undersigned_route = name  # type: ignore[attr-defined]


def route_of(request: HttpRequest) -> str:
    """The name of the route that answered: a URL pattern's name with its namespace, never the path,
    so that the label's values are as few as the site's routes."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name)
    marked = getattr(request, "undersigned_route", None)
    if marked:
        return str(marked)
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unresolved"


class RequestLogMiddleware:
    """Outermost: gives the request its id, times it, logs one line and sends the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            route, method = route_of(request), method_label(request.method)
            REQUEST_DURATION.labels(view=route, method=method).observe(seconds)
            duration_ms = round(seconds * 1000, 1)
            logger.info(
                "%s %s %s in %s ms",
                method,
                route,
                response.status_code,
                duration_ms,
                extra={"method": method, "route": route, "status": response.status_code, "duration_ms": duration_ms},
            )
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being handled, or "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or NO_REQUEST
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and a request's method,
    route, status and duration. Only these fields: attributes that callers attach to a record (Django
    attaches the request itself to its error records) are never written."""

    REQUEST_FIELDS = ("method", "route", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", NO_REQUEST)
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id == NO_REQUEST else request_id,
        }
        for name in self.REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII only: a line stays one line, and writable to a stream of any encoding.
        return json.dumps(entry, default=str)
