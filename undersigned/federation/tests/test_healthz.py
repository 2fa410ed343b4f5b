from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.test import override_settings

from undersigned.testing import ROOT, production_environment


def redis_cache(location: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_healthy_database_answers_200(client):
    # Load balancers probe by address, with a Host header the site does not serve.
    response = client.get("/healthz", headers={"host": "10.0.0.7"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthy_database_and_redis_answer_200(client, redis_url):
    with override_settings(REDIS_URL=redis_url, CACHES=redis_cache(redis_url)):
        response = client.get("/healthz")
        caches["default"].clear()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_unreachable_redis_answers_503_without_details(client):
    location = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(REDIS_URL=location, CACHES=redis_cache(location)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}


def test_unreachable_database_answers_503(tmp_path):
    # The suite's own database cannot be taken away from under it, so a separate process starts
    # the site against a database file that cannot be opened.
    env = production_environment(tmp_path)
    env["DATABASE_URL"] = "sqlite:////nonexistent-directory/undersigned.sqlite3"
    del env["REDIS_URL"]
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(raise_request_exception=False).get('/healthz', headers={'host': '10.0.0.7'}); "
        "print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == '503 {"status": "unavailable", "database": "unavailable"}', result.stderr
