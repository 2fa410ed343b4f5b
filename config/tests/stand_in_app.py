"""A stand-in app server for the tests of nginx's file (config/tests/test_deploy_files.py).

What those tests measure is nginx's behaviour when the app is slow, full or absent, so the app is
a WSGI function whose slowness the test chooses: ``?delay=S`` makes a request take S seconds. Run
by gunicorn with one sync worker, it answers one request at a time: its capacity is known exactly.

- ``GET /healthz``: 200.
- ``GET /statements/<slug>/``: a public page that a shared cache may keep for one second, as the
  app marks its statement pages (``Cache-Control: public, s-maxage``).
- any other request: 200 after the delay, with the method, the path and the ``X-Forwarded-Proto``
  nginx sent, so that a test sees what reached the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    delay = float(parse_qs(environ.get("QUERY_STRING", "")).get("delay", ["0"])[0])
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    time.sleep(delay)
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    if method == "GET" and path.startswith("/statements/") and path.count("/") == 3:
        headers.append(("Cache-Control", "public, max-age=0, s-maxage=1"))
        body = f"statement page drawn at {time.time()}"
    else:
        body = f"{method} {path} proto={environ.get('HTTP_X_FORWARDED_PROTO', '')}"
        if environ.get("HTTP_X_REQUEST_ID"):
            body += f" request-id={environ['HTTP_X_REQUEST_ID']}"
    start_response("200 OK", headers)
    return [body.encode()]
