"""The staff sign-in lock-out: per account with a slower back-off, networks only for guessing
across many accounts, and the same counts in every app process (threat model 4, issue of the probe)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from undersigned.accounts.services import SignInLock, staff_sign_in_failed, staff_sign_in_lock
from undersigned.testing import ROOT, TEST_PASSWORD, production_environment, secretariat

pytestmark = pytest.mark.django_db

NETWORK = "n" * 32


def fail(email: str, times: int, network: str = NETWORK) -> None:
    for _ in range(times):
        staff_sign_in_failed(email=email, network_hash=network)


def test_ten_failures_lock_the_account_and_the_lock_lifts_after_two_windows():
    with time_machine.travel(time.time(), tick=False) as clock:
        fail("sam@example.org", 9)
        assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) is None
        fail("sam@example.org", 1)
        assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) == SignInLock.ACCOUNT
        # Another network does not help: the account is what is guessed.
        assert staff_sign_in_lock(email="sam@example.org", network_hash="m" * 32) == SignInLock.ACCOUNT
        clock.shift(31 * 60)
        assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) is None


def test_one_person_mistyping_does_not_lock_out_colleagues_on_the_same_network(client):
    secretariat()
    for _ in range(40):
        staff_sign_in_failed(email="ana@example.org", network_hash=NETWORK)
    assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) is None
    # Through the page as well: the test client's network, many failures for one account.
    for _ in range(12):
        client.post("/accounts/sign-in/", {"username": "ana@example.org", "password": "guess"})
    response = client.post("/accounts/sign-in/", {"username": "sam@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_guesser_who_waits_out_each_lock_is_stopped_for_the_day():
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(3):
            fail("sam@example.org", 10)
            clock.shift(31 * 60)
        assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) == SignInLock.ACCOUNT_DAY
        clock.shift(3 * 60 * 60)
        assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) == SignInLock.ACCOUNT_DAY


def test_one_network_trying_many_accounts_is_stopped(client):
    for number in range(20):
        fail(f"guess{number}@example.org", 2)
    assert staff_sign_in_lock(email="sam@example.org", network_hash=NETWORK) == SignInLock.NETWORK
    assert staff_sign_in_lock(email="sam@example.org", network_hash="m" * 32) is None


def test_the_page_says_which_lock_holds(client):
    secretariat()
    for number in range(20):
        client.post("/accounts/sign-in/", {"username": f"guess{number}@example.org", "password": "guess"})
    response = client.post("/accounts/sign-in/", {"username": "sam@example.org", "password": TEST_PASSWORD})
    assert "Too many failed sign-ins from your network" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- several app processes, no Redis -------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WORKERS = 3


@pytest.fixture
def site_database(tmp_path) -> Iterator[str]:
    """A database of its own for the site's processes: a file for SQLite, a new database on the
    suite's PostgreSQL server otherwise."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    import psycopg

    name = f"lockout_{int(time.time() * 1000)}"
    params = settings.DATABASES["default"]
    server = f"postgresql://{params['USER']}@{params['HOST']}:{params['PORT']}/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{name}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """A visitor's browser without keep-alive: each request is a new connection, which any of the
    site's worker processes may accept."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def sign_in(self, email: str, password: str) -> str:
        page = self.opener.open(f"{self.base}/accounts/sign-in/", timeout=30).read().decode()
        token = CSRF_FIELD.search(page)
        assert token is not None
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
        ).encode()
        address = f"{self.base}/accounts/sign-in/"
        request = urllib.request.Request(address, data=body, headers={"Referer": address})  # noqa: S310  (loopback)
        try:
            with self.opener.open(request, timeout=30) as response:
                return "locked" if "Too many failed sign-ins" in response.read().decode() else "refused"
        except urllib.error.HTTPError as answer:
            return "signed in" if answer.code == 302 else f"status {answer.code}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_lock_out_holds_across_worker_processes_without_redis(tmp_path, site_database):
    port = _free_port()
    env = {
        **production_environment(tmp_path),
        "DATABASE_URL": site_database,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("REDIS_URL")
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "timeout": 180}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], **run)  # type: ignore[call-overload]
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input"], **run)  # type: ignore[call-overload]
    create = (
        "from undersigned.accounts.services import staff_user_create;"
        f"staff_user_create(email='sam@example.org', full_name='Sam', password={TEST_PASSWORD!r}, is_secretariat=True)"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", create], **run)  # type: ignore[call-overload]
    access_log = tmp_path / "access.log"
    site = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "site.log").open("w"),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        answers = [Browser(base).sign_in("sam@example.org", "wrong guess") for _ in range(12)]
        right_password = Browser(base).sign_in("sam@example.org", TEST_PASSWORD)
    finally:
        site.terminate()
        site.wait(timeout=30)

    assert answers[:10] == ["refused"] * 10 and answers[10:] == ["locked", "locked"]
    assert right_password == "locked"
    posts_by_process = {line.split()[0] for line in Path(access_log).read_text().splitlines() if "POST" in line}
    assert len(posts_by_process) > 1, "every sign-in went to one process; the test proves nothing"


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()  # noqa: S310  (loopback)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
