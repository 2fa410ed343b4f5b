"""Every request has an id, sent back in X-Request-ID and stamped on each record logged while it is
handled, and one log line: a JSON object with its method, route name, status and duration."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import sys

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path

from undersigned.core.log_redaction import RedactPersonalData
from undersigned.core.request_logs import JsonLinesFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _logs_something(request: HttpRequest, kind: str) -> HttpResponse:
    logging.getLogger("undersigned.tests").warning("looked at a %s for ada@example.org", kind)
    return HttpResponse("ok")


urlpatterns = [
    path("logs-something/<slug:kind>/", _logs_something, name="logs_something"),
    path("", include("config.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_has_one_line_and_every_record_during_it_has_its_id(client, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactPersonalData())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = client.get("/logs-something/receipt/?email=ada@example.org&token=secret-in-query")
        logging.getLogger("undersigned.tests").warning("after the request")
    finally:
        root.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32

    during = next(entry for entry in entries if entry["logger"] == "undersigned.tests")
    assert during["request_id"] == request_id
    assert during["message"] == "looked at a receipt for [email]"
    assert during["level"] == "WARNING" and during["time"].startswith("20")

    line = next(entry for entry in entries if entry["logger"] == "undersigned.requests")
    assert line["request_id"] == request_id
    assert (line["method"], line["route"], line["status"]) == ("GET", "logs_something", 200)
    assert isinstance(line["duration_ms"], float)
    assert entries[-1]["message"] == "after the request" and entries[-1]["request_id"] is None

    written = stream.getvalue()
    for private in ("receipt", "secret-in-query", "ada@example.org", "127.0.0.1", "/logs-something/"):
        assert private not in written.replace("looked at a receipt", ""), private


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("peer", "offered", "kept"),
    [
        (PROXY, "nginx-0f3a9c2e71b4d8a5", True),
        (PROXY, "a" * 64, True),
        ("203.0.113.9", "nginx-0f3a9c2e71b4d8a5", False),  # not from the proxy: a client's own choice
        (PROXY, "a" * 65, False),
        (PROXY, "id with spaces", False),
        (PROXY, "id_with_underscore", False),
        (PROXY, "id\nforged log line", False),
    ],
)
def test_a_proxys_well_formed_request_id_is_kept_and_any_other_replaced(client, settings, peer, offered, kept):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(PROXY)]
    response = client.get("/healthz", REMOTE_ADDR=peer, HTTP_X_REQUEST_ID=offered)
    assert (response["X-Request-ID"] == offered) is kept
    if not kept:
        assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_routes_are_named_not_spelled_out(client, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("undersigned.requests")
    logger.addHandler(handler)
    try:
        client.get("/healthz")
        client.get("/no-such-page/ada@example.org/")
        client.get("/metrics")
    finally:
        logger.removeHandler(handler)
    routes = [json.loads(line)["route"] for line in stream.getvalue().splitlines()]
    assert routes == ["healthz", "unresolved", "metrics"]


def test_an_exception_is_one_line_and_redacted():
    try:
        raise ValueError("no signer ada@example.org")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactPersonalData().filter(record)
    RequestIdFilter().filter(record)
    line = JsonLinesFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert "ValueError: no signer [email]" in entry["exception"]
    assert entry["request_id"] is None
