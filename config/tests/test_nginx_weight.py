"""What nginx (deploy/nginx/undersigned.conf) does for a page's weight: hashed static files kept a
year, compressed ahead of time; the app's answers passed on as the app compressed them (or not),
never compressed by nginx itself, even where nginx.conf turns gzip on as Debian's does."""

from __future__ import annotations

import gzip
import http.client
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from undersigned.testing import ROOT

HASHED = "/static/css/site.0123456789ab.css"
PLAIN = "/static/css/site.css"
STYLES = b"body { margin: 0 auto; max-width: 40rem; font-family: system-ui, sans-serif; }\n" * 40


@pytest.fixture(autouse=True)
def _once_per_suite() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("no database involved: the SQLite pass of `make test` runs these")


@dataclass
class Front:
    port: int

    def get(self, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            client.request("GET", path, headers=headers)
            response = client.getresponse()
            return response, response.read()
        finally:
            client.close()


def _stack_module() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("stack")


@pytest.fixture(scope="module")
def front() -> Iterator[Front]:
    scripts = _stack_module()
    # Not pytest's tmp_path: nginx's workers (nobody, when the suite runs as root) read the files.
    directory = Path(tempfile.mkdtemp(prefix="undersigned-weight-test-"))
    directory.chmod(0o755)
    static = directory / "static"
    (static / "css").mkdir(parents=True)
    for name in (HASHED, PLAIN):
        path = static / name.removeprefix("/static/")
        path.write_bytes(STYLES)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(STYLES))
    port, app_port = scripts.free_port(), scripts.free_port()
    site = scripts.site_conf(
        listen=f"127.0.0.1:{port}",
        app_ports=[app_port],
        static_root=static,
        cache_path=directory / "nginx" / "cache",
        server_name="127.0.0.1",
    )
    app = scripts.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.tests.stand_in_app:application",
            "--bind",
            f"127.0.0.1:{app_port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        dict(os.environ),
    )
    nginx = None
    try:
        scripts.wait_for_health(app_port, [app])
        # As Debian's /etc/nginx/nginx.conf has it, for the whole http block.
        nginx = scripts.Nginx(directory / "nginx", "gzip on;\ngzip_types text/plain;\n" + site, port, processes=1)
        scripts.wait_for_health(port, [app, nginx.process])
        yield Front(port)
    finally:
        if nginx is not None:
            nginx.stop()
        scripts.stop(app)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_hashed_static_file_is_kept_a_year_and_sent_compressed(front: Front):
    response, body = front.get(HASHED, **{"Accept-Encoding": "gzip, deflate, br"})

    assert response.status == 200
    # One header, not nginx's `expires` beside a second one.
    assert response.headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == STYLES


def test_a_static_file_under_its_plain_name_is_kept_a_minute(front: Front):
    response, body = front.get(PLAIN)

    assert response.headers.get_all("Cache-Control") == ["public, max-age=60"]
    assert "Content-Encoding" not in response.headers and body == STYLES


def test_nginx_compresses_nothing_the_app_sends(front: Front):
    # The stand-in app answers text/plain uncompressed, as the app answers a page with a secret.
    response, body = front.get("/staff/anything/", **{"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert "Content-Encoding" not in response.headers
    assert body.startswith(b"GET /staff/anything/")


def test_the_cache_keeps_a_copy_per_accept_encoding(front: Front):
    page = "/statements/weight/"
    assert front.get(page, **{"Accept-Encoding": "gzip"})[0].headers["X-Cache-Status"] == "MISS"
    assert front.get(page, **{"Accept-Encoding": "identity"})[0].headers["X-Cache-Status"] == "MISS"
    assert front.get(page, **{"Accept-Encoding": "gzip"})[0].headers["X-Cache-Status"] == "HIT"
