"""One app server as production runs it: gunicorn with two worker processes, prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR) and JSON logs. Whichever worker answers the scrape, it
reports what both workers counted. Runs in the PostgreSQL pass (the server shares the test's
database; the SQLite pass's is in this process's memory)."""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, signature_confirm
from undersigned.signatures.tests.conftest import build_open_statement, build_site
from undersigned.testing import ROOT, drawn_form_token, production_environment

pytestmark = pytest.mark.django_db(transaction=True)

PER_PROCESS_FILE = re.compile(r"(counter|histogram)_(\d+)\.db")
SIGN_POSTS = (("method", "POST"), ("view", "signatures:sign"))


def _stack_module() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("stack")


@dataclass
class AppServer:
    port: int
    metrics_dir: Path
    log: Path

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept-Language": "en"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{self.port}"}
        try:
            client.request(method, path, body=body, headers=headers)
            response = client.getresponse()
            return response.status, response.read().decode()
        finally:
            client.close()

    def processes_that_counted(self, kind: str) -> set[str]:
        return {
            match.group(2)
            for name in os.listdir(self.metrics_dir)
            if (match := PER_PROCESS_FILE.fullmatch(name)) and match.group(1) == kind
        }


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    if connection.vendor != "postgresql":
        pytest.skip("the app server shares the PostgreSQL test database; the PostgreSQL pass runs this test")
    scripts = _stack_module()
    # Readable by the server's processes, whoever runs the suite.
    tmp_path = Path(tempfile.mkdtemp(prefix="undersigned-metrics-test-"))
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = scripts.free_port()
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env = {
        **production_environment(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,  # this process draws the forms' timers the server checks
        "DATA_KEYS": os.environ["DATA_KEYS"],
        "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL")  # rate limits in the database: no Redis needed
    log = tmp_path / "server.log"
    server = None
    try:
        scripts.subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        with log.open("wb") as output:
            server = scripts.start(scripts.gunicorn_command(port, workers=2, threads=1), env, stderr=output)
        scripts.wait_for_health(port, [server])
        yield AppServer(port=port, metrics_dir=metrics_dir, log=log)
    finally:
        if server is not None:
            scripts.stop(server)
        shutil.rmtree(tmp_path, ignore_errors=True)


def scrape(server: AppServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = server.request("GET", "/metrics")
    assert status == 200, text[:300]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_every_worker_reports_what_both_counted(app_server: AppServer):
    target = build_open_statement(build_site())
    slug = target.statement.slug

    def sign(number: int) -> int:
        form = {
            "name": f"Signer {number}",
            "email": f"signer{number}@example.org",
            "country": "FR",
            "city": "",
            "affiliation": "",
            "name_shown": "full",
            "revision": str(target.revision.pk),
            "started": drawn_form_token(SIGN_FORM_TIMER),
            "website": "",
        }
        return app_server.request("POST", f"/statements/{slug}/sign/", form)[0]

    # Four at a time against two single-threaded workers, until both have counted signatures.
    signed = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        while len(app_server.processes_that_counted("counter")) < 2 and signed < 40:
            assert list(pool.map(sign, range(signed, signed + 4))) == [200] * 4
            signed += 4
    assert len(app_server.processes_that_counted("counter")) == 2, "one worker took every signature"
    for signature in Signature.objects.filter(statement=target.statement)[:3]:
        signature_confirm(signature_id=signature.pk, statement_id=target.statement.pk)

    answers = set()
    for _ in range(8):  # each scrape is answered by either worker
        samples = scrape(app_server)
        answers.add(
            (
                samples[("undersigned_signatures_accepted_total", (("statement", slug),))],
                samples[("undersigned_request_duration_seconds_count", SIGN_POSTS)],
                samples[("undersigned_signatures_confirmed", (("statement", slug),))],
            )
        )
    assert answers == {(signed, signed, 3)}

    # The workers wrote JSON lines, with their request ids, and no signer's address or name.
    lines = [line for line in app_server.log.read_text().splitlines() if line.startswith("{")]
    requests = [json.loads(line) for line in lines if '"undersigned.requests"' in line]
    sign_lines = [line for line in requests if line["route"] == "signatures:sign"]
    assert len(sign_lines) == signed
    assert all(line["status"] == 200 and len(line["request_id"]) == 32 for line in sign_lines)
    assert "example.org" not in app_server.log.read_text() and "Signer 1" not in app_server.log.read_text()
