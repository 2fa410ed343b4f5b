"""The files of deploy/ do what docs/operations.md says, run for real on loopback.

- nginx: the site of deploy/nginx/ with TLS (a certificate made here), its HTTP→HTTPS redirect,
  the rate limit on POSTs, and the overload guard: in front of an app server that answers one
  request at a time (config/tests/stand_in_app.py, slow on demand), excess sign requests get a
  503 with Retry-After at once, none waits more than 10 s, and the cached page stays up.
- systemd: `systemd-analyze verify` on every unit and `systemd-analyze security` on each service's
  sandbox, and the app server's own command line started as systemd starts it (socket
  activation), reloaded under a stream of requests without failing one.

The database plays no part, so these run in the SQLite pass of `make test` only.
"""

from __future__ import annotations

import datetime
import http.client
import importlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import get_commands
from django.db import connection

from undersigned.testing import ROOT, production_environment

DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
# nginx's bound on requests in flight to the stand-in app server, which answers one at a time.
MAX_CONNS = 2


@pytest.fixture(autouse=True)
def _once_per_suite() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("no database involved: the SQLite pass of `make test` runs these")


def _stack_module() -> Any:
    # scripts/ is not a package: scripts/stack.py is loaded as `make stack` runs it.
    sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("stack")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(tz=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    seconds: float


@dataclass
class Edge:
    """nginx with the deployment's TLS site in front of the stand-in app server."""

    https: int
    http: int
    app: int
    tls: ssl.SSLContext

    def request(self, method: str, path: str, *, source: str = "127.0.0.1", secure: bool = True) -> Answer:
        connection_class: Any = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        options: dict[str, Any] = {"context": self.tls} if secure else {}
        client = connection_class(
            "127.0.0.1", self.https if secure else self.http, timeout=30, source_address=(source, 0), **options
        )
        body, headers = None, {"Accept-Language": "en"}
        if method == "POST":
            body, headers = "name=Rosa", headers | {"Content-Type": "application/x-www-form-urlencoded"}
        started = time.monotonic()
        try:
            client.request(method, path, body=body, headers=headers)
            response = client.getresponse()
            content = response.read().decode()
        finally:
            client.close()
        return Answer(response.status, response.msg, content, time.monotonic() - started)

    def posts(self, count: int, *, source: str = "127.0.0.1") -> list[int]:
        """The statuses of ``count`` sign POSTs sent one after the other on one kept-alive connection."""
        client = http.client.HTTPSConnection(
            "127.0.0.1", self.https, timeout=30, source_address=(source, 0), context=self.tls
        )
        statuses = []
        try:
            for _ in range(count):
                client.request(
                    "POST",
                    "/statements/open-letter/sign/",
                    body="name=Rosa",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = client.getresponse()
                response.read()
                statuses.append(response.status)
        finally:
            client.close()
        return statuses

    def settle(self) -> None:
        """Until the app server has finished what nginx gave up on (it answers one at a time)."""
        client = http.client.HTTPConnection("127.0.0.1", self.app, timeout=30)
        try:
            client.request("GET", "/healthz")
            assert client.getresponse().status == 200
        finally:
            client.close()


@pytest.fixture(scope="module")
def edge() -> Iterator[Edge]:
    scripts = _stack_module()
    # Not pytest's tmp_path: nginx's workers (nobody, when the suite runs as root) read the files.
    directory = Path(tempfile.mkdtemp(prefix="undersigned-deploy-test-"))
    directory.chmod(0o755)
    static = directory / "static"
    shutil.copytree(ROOT / "static" / "errors", static / "errors")  # what collectstatic would put there
    certificate, key = self_signed_certificate(directory)
    https_port, http_port, app_port = scripts.free_port(), scripts.free_port(), scripts.free_port()
    tls_snippet = directory / "undersigned-tls.conf"
    tls_snippet.write_text(
        scripts.fill(
            DEPLOY / "nginx" / "undersigned-tls.conf",
            {"CERTIFICATE": str(certificate), "CERTIFICATE_KEY": str(key), "ACCESS_LOG": str(directory / "access.log")},
        )
    )
    site = scripts.site_conf(
        listen=f"127.0.0.1:{https_port} ssl http2",
        app_ports=[app_port],
        static_root=static,
        cache_path=directory / "nginx" / "cache",
        server_name="127.0.0.1",
        max_conns=MAX_CONNS,
        tls=f"include {tls_snippet};",
    )
    # The redirect file as installed, on a free port instead of 80 (and without the IPv6 line).
    redirect = scripts.fill(DEPLOY / "nginx" / "undersigned-redirect.conf", {"SERVER_NAME": "127.0.0.1"})
    assert "    listen 80;\n" in redirect and "    listen [::]:80;\n" in redirect
    redirect = redirect.replace("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    redirect = redirect.replace("    listen [::]:80;\n", "")
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
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        dict(os.environ),
    )
    nginx = None
    try:
        scripts.wait_for_health(app_port, [app])
        # Nginx runs `nginx -t` on the whole first, and stops the test with its complaint.
        nginx = scripts.Nginx(directory / "nginx", site + redirect, https_port, processes=1)
        tls = ssl.create_default_context(cafile=str(certificate))
        found = Edge(https=https_port, http=http_port, app=app_port, tls=tls)
        deadline = time.monotonic() + 30
        while True:
            try:
                if found.request("GET", "/healthz").status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or nginx.process.poll() is not None:
                    raise
            time.sleep(0.1)
        yield found
    finally:
        if nginx is not None:
            nginx.stop()
        scripts.stop(app)
        shutil.rmtree(directory, ignore_errors=True)


def test_the_site_answers_over_https_and_plain_http_is_sent_there(edge: Edge):
    answer = edge.request("GET", "/statements/anything/sign/")
    assert answer.status == 200
    # The app is told the visitor used TLS, and nginx's id for the request (32 hex digits).
    assert re.fullmatch(r"GET /statements/anything/sign/ proto=https request-id=[0-9a-f]{32}", answer.body)
    # The metrics are scraped from each app server, never through the public site.
    assert edge.request("GET", "/metrics").status == 404
    assert edge.request("GET", "/metrics").body != "GET /metrics proto=https"

    redirect = edge.request("GET", "/statements/anything/?language=fr", secure=False)
    assert redirect.status == 301
    assert redirect.headers["Location"] == "https://127.0.0.1/statements/anything/?language=fr"
    # Let's Encrypt's challenges are answered over plain HTTP (from certbot's directory), not redirected.
    assert edge.request("GET", "/.well-known/acme-challenge/token", secure=False).status == 404


def test_excess_sign_requests_get_a_quick_503_and_the_cached_page_stays_up(edge: Edge):
    page = "/statements/open-letter/"
    assert edge.request("GET", page).headers["X-Cache-Status"] in {"MISS", "EXPIRED"}
    time.sleep(1.2)  # the copy is now past its lifetime: only a stale copy is left

    # Three times what the app server may hold at once, each taking 1.5 s.
    with ThreadPoolExecutor(max_workers=3 * MAX_CONNS) as pool:
        signing = [pool.submit(edge.request, "POST", "/statements/open-letter/sign/?delay=1.5") for _ in range(6)]
        time.sleep(0.5)  # every request has arrived; the app server holds MAX_CONNS of them
        while_full = edge.request("GET", page)
        api_while_full = edge.request("POST", "/api/v1/statements/open-letter/signatures")
        answers = [future.result() for future in signing]
    edge.settle()

    statuses = sorted(answer.status for answer in answers)
    assert set(statuses) == {200, 503}, statuses
    assert statuses.count(200) >= 1 and statuses.count(503) >= len(answers) - MAX_CONNS - 1, statuses
    for answer in answers:
        if answer.status == 503:
            assert answer.seconds < 2, answer
            assert answer.headers["Retry-After"] == "10"
            assert "The site is very busy" in answer.body and 'lang="ar" dir="rtl"' in answer.body
        assert answer.seconds < 10, answer
    # The page stays up from nginx's cache, stale, without waiting for the full app server.
    assert while_full.status == 200 and while_full.seconds < 1, while_full
    # (HIT when a slow machine let nginx refresh the copy just before the app server filled up.)
    assert while_full.headers["X-Cache-Status"] in {"STALE", "UPDATING", "HIT"}, while_full.headers
    # The API's clients get the API's kind of error.
    assert api_while_full.status == 503 and api_while_full.headers["Retry-After"] == "10"
    assert json.loads(api_while_full.body)["code"] == "busy"


def test_a_sign_request_waits_ten_seconds_at_most(edge: Edge):
    answer = edge.request("POST", "/statements/open-letter/sign/?delay=12")
    edge.settle()
    assert answer.status == 503 and answer.headers["Retry-After"] == "10"
    assert 9 < answer.seconds < 10.5, answer.seconds


def test_a_flood_of_posts_from_one_address_is_limited_and_loopback_is_not(edge: Edge):
    started = time.monotonic()
    flood = edge.posts(70, source="127.0.0.2")
    elapsed = time.monotonic() - started
    # A burst of 50 passes (a room behind one NAT signing at once), then 5 a second; the rest is
    # refused at once, before the app does any work.
    assert flood[:50] == [200] * 50, flood
    assert set(flood) == {200, 429} and flood.count(200) <= 50 + 1 + 5 * elapsed + 1, (elapsed, flood)
    refused = edge.request("POST", "/statements/open-letter/sign/", source="127.0.0.2")
    assert refused.status == 429 and refused.headers["Retry-After"] == "10"
    assert "The site is very busy" in refused.body
    # Reads are not limited, and neither is this machine.
    assert edge.request("GET", "/statements/open-letter/sign/", source="127.0.0.2").status == 200
    assert edge.posts(70) == [200] * 70


# --- systemd ---------------------------------------------------------------------------------------


def _installed_copy(unit: Path, directory: Path, name: str | None = None) -> Path:
    """The unit with the install directory /opt/undersigned replaced by this checkout, whose
    .venv holds the same commands: `systemd-analyze verify` checks that each one exists."""
    copy = directory / (name or unit.name)
    copy.write_text(unit.read_text().replace("/opt/undersigned", str(ROOT)))
    return copy


def _systemd_analyze(*arguments: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing; run: sudo apt-get install -y systemd")
    return subprocess.run([analyze, *arguments], capture_output=True, text=True, check=False)


def _verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    return _systemd_analyze("--man=no", "verify", *map(str, units))


def _exposure(service: Path) -> subprocess.CompletedProcess[str]:
    """Fails (non-zero) above an exposure of 2.0 in systemd's score of the unit's sandbox."""
    return _systemd_analyze("security", "--offline=true", "--threshold=20", "--no-pager", str(service))


def test_every_unit_passes_systemd_analyze_verify_and_is_sandboxed(tmp_path: Path):
    units = [_installed_copy(unit, tmp_path) for unit in sorted(SYSTEMD.iterdir())]
    # A timer's service is an instance of the command template: verified as such, with its command.
    for timer in SYSTEMD.glob("*.timer"):
        match = re.search(r"^Unit=(undersigned-command@(\w+)\.service)$", timer.read_text(), re.MULTILINE)
        assert match is not None, timer.name
        assert match.group(2) in get_commands(), f"{timer.name}: manage.py has no command {match.group(2)}"
        units.append(_installed_copy(SYSTEMD / "undersigned-command@.service", tmp_path, match.group(1)))
    result = _verify(units)
    # verify warns (an unknown key, a misspelt section) without failing: any word from it is a fault.
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr

    # … and it does fail on a fault.
    broken = tmp_path / "undersigned.service"
    original = broken.read_text()
    broken.write_text(original.replace(f"{ROOT}/.venv/bin/gunicorn", "/nonexistent/gunicorn"))
    assert _verify([broken]).returncode != 0
    broken.write_text(original)

    # The sandbox, as systemd scores it: every service's exposure at most 2.0 of 10 (it is 1.5;
    # without ProtectSystem=, NoNewPrivileges= and an empty CapabilityBoundingSet= it is 3.6).
    for service in sorted(tmp_path.glob("*.service")):
        assert _exposure(service).returncode == 0, _exposure(service).stdout
    sandbox = re.compile(r"^(ProtectSystem|NoNewPrivileges|CapabilityBoundingSet)=.*\n", re.MULTILINE)
    broken.write_text(sandbox.sub("", original))
    assert _exposure(broken).returncode != 0


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_the_app_server_unit_serves_a_socket_from_systemd_and_reloads_without_failing_a_request(tmp_path: Path):
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        pytest.fail("systemd-socket-activate is missing; run: sudo apt-get install -y systemd")
    scripts = _stack_module()
    unit = (SYSTEMD / "undersigned.service").read_text()
    match = re.search(r"^ExecStart=((?:.*\\\n)*.*)$", unit, re.MULTILINE)
    assert match is not None
    command = shlex.split(match.group(1).replace("\\\n", " ").replace("/opt/undersigned", str(ROOT)))
    # The unit's own command line, with fewer workers: this machine is shared.
    command[command.index("--workers") + 1] = "2"
    port = scripts.free_port()
    env = {**production_environment(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    del env["REDIS_URL"]  # /healthz then asks the database alone
    # As systemd does for undersigned.socket: the socket is made outside and handed over (LISTEN_FDS),
    # with only the environment given (-E), as EnvironmentFile= gives it. The command starts at the
    # first connection, as systemd would start the service.
    passed = [option for name in env for option in ("-E", name)]
    server = scripts.start([activate, "--listen", f"127.0.0.1:{port}", *passed, *command], env)
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def ask_continuously() -> None:
        nonlocal answered
        while not stop.is_set():
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                client.request("GET", "/healthz")
                status = client.getresponse().status
                if status == 200:
                    answered += 1
                else:
                    failures.append(str(status))
            except OSError as error:
                failures.append(repr(error))
            finally:
                client.close()

    try:
        scripts.wait_for_health(port, [server])
        workers = _children(server.pid)
        assert len(workers) == 2
        asking = threading.Thread(target=ask_continuously)
        asking.start()
        time.sleep(0.5)
        before = answered
        server.send_signal(signal.SIGHUP)  # systemctl reload undersigned
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(_children(server.pid)) != 2 or _children(server.pid) & workers):
            time.sleep(0.2)
        time.sleep(1)
        stop.set()
        asking.join()
        assert not _children(server.pid) & workers, "the old workers are still there"
        assert len(_children(server.pid)) == 2
        assert failures == [] and answered > before, (failures, before, answered)
    finally:
        stop.set()
        scripts.stop(server)


def _environment_file() -> dict[str, str]:
    lines = (DEPLOY / "undersigned.env").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    assert len(pairs) == len({name for name, _ in pairs}), "a variable is set twice"
    return dict(pairs)


def test_the_environment_file_sets_only_what_the_settings_read_and_passes_the_deploy_check(tmp_path: Path):
    examples = (ROOT / ".env.example").read_text().splitlines()
    known = {line.lstrip("# ").split("=", 1)[0] for line in examples if "=" in line}
    settings_file = _environment_file()
    # A secret may come from a file instead (config.environment.env_secret): NAME_FILE.
    unknown = [name for name in settings_file if name not in known and name.removesuffix("_FILE") not in known]
    assert unknown == []
    # The secrets themselves are never in it.
    assert {"SECRET_KEY_FILE", "DATA_KEYS_FILE", "LOG_KEY_FILE"} <= set(settings_file)
    assert not {"SECRET_KEY", "DATA_KEYS", "LOG_KEY"} & set(settings_file)

    # With its secret files made as docs/operations.md makes them, the site starts and Django's
    # deployment check finds nothing to warn of.
    made = production_environment(tmp_path)
    (tmp_path / "secret_key").write_text(made["SECRET_KEY"] + "\n")
    (tmp_path / "data_keys").write_text(made["DATA_KEYS"] + "\n")
    # The log key, made by the command docs/operations.md runs before the settings are complete.
    before_settings = tmp_path / "before-settings"
    before_settings.mkdir()
    made_key = subprocess.run(
        [sys.executable, "manage.py", "create_log_key", "--origin", "statements.example.org/log"]
        + ["--file", str(tmp_path / "log_key")],
        cwd=ROOT,
        env={**{name: made[name] for name in ("PATH", "HOME", "LANG") if name in made}}
        | {"DEBUG": "true", "VAR_DIR": str(before_settings), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made_key.returncode == 0, made_key.stderr
    assert "public key (publish it; verifiers need it): statements.example.org/log+" in made_key.stderr
    env = {
        **{name: made[name] for name in ("PATH", "HOME", "LANG") if name in made},
        **settings_file,
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        "DATA_KEYS_FILE": str(tmp_path / "data_keys"),
        "LOG_KEY_FILE": str(tmp_path / "log_key"),
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
