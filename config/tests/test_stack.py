"""Two app servers behind nginx, as `make stack` and a busy deployment run them: nothing depends on
one process. Runs in the PostgreSQL pass of `make test` (the stack's database; the SQLite pass skips
it), with the nginx file of deploy/nginx/ and the helpers of scripts/stack.py."""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from undersigned.api.middleware import MAX_AGE_SECONDS as API_MAX_AGE_SECONDS
from undersigned.ledger import tlog
from undersigned.ledger.services import seal_pending
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tallies import CACHE_SECONDS
from undersigned.signatures.tests.conftest import build_open_statement, build_site
from undersigned.signatures.tokens import SignatureRef, confirm_token
from undersigned.testing import ROOT, TEST_PASSWORD, current_code, drawn_form_token, production_environment
from undersigned.testing import UserFactory as StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION_FIELD = re.compile(r'name="revision" value="(\d+)"')
TALLY_NUMBER = re.compile(r'class="tally__number">([^<]*)<')


def _stack_module() -> Any:
    # scripts/ is not a package: scripts/stack.py is loaded as `make stack` runs it.
    sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("stack")


@dataclass
class Visitor:
    """One browser: its cookies go to every port of 127.0.0.1, as a browser's do to one host."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, http.client.HTTPMessage, str]:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Accept-Language": "en", **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}"}
        try:
            client.request(method, path, body=body, headers=headers)
            response = client.getresponse()
            content = response.read().decode(errors="replace")  # the log's tiles are binary
        finally:
            client.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, response.msg, content

    def csrf(self, port: int, path: str) -> str:
        status, _, page = self.request(port, "GET", path)
        token = CSRF_FIELD.search(page)
        assert status == 200 and token is not None, (status, page[:300])
        return token.group(1)


@dataclass
class Stack:
    one: int  # an app server's port
    two: int  # the other's
    nginx: int
    access_log: Path

    def processes_that_answered(self) -> set[str]:
        return {line.split()[0] for line in self.access_log.read_text().splitlines()}


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    if connection.vendor != "postgresql":
        pytest.skip("the stack runs on PostgreSQL; the PostgreSQL pass of `make test` runs this test")
    redis_url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # counters of an earlier run must not count here
    # Not pytest's tmp_path: nginx's workers (nobody, when the suite runs as root) must reach the
    # static files and the cache, and pytest's base directory is private to its user.
    tmp_path = Path(tempfile.mkdtemp(prefix="undersigned-stack-test-"))
    tmp_path.chmod(0o755)
    scripts = _stack_module()
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    nginx_port = scripts.free_port()
    env = {
        **production_environment(tmp_path),
        # This process's keys: it draws the forms' timers and the confirmation links the servers check.
        "SECRET_KEY": settings.SECRET_KEY,
        "DATA_KEYS": os.environ["DATA_KEYS"],
        "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": redis_url,
        "SITE_URL": f"http://127.0.0.1:{nginx_port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    access_log = tmp_path / "access.log"
    ports = [scripts.free_port(), scripts.free_port()]
    servers = []
    nginx = None
    try:
        scripts.subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        for port in ports:
            servers.append(
                scripts.start(scripts.gunicorn_command(port, workers=1, threads=2, access_log=access_log), env)
            )
        for port in ports:
            scripts.wait_for_health(port, servers)
        site = scripts.site_conf(
            listen=f"127.0.0.1:{nginx_port}",
            app_ports=ports,
            static_root=tmp_path / "static",
            cache_path=tmp_path / "nginx" / "cache",
            server_name="127.0.0.1",
        )
        nginx = scripts.Nginx(tmp_path / "nginx", site, nginx_port, processes=1)
        scripts.wait_for_health(nginx_port, [*servers, nginx.process])
        yield Stack(one=ports[0], two=ports[1], nginx=nginx_port, access_log=access_log)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            scripts.stop(server)
        shutil.rmtree(tmp_path, ignore_errors=True)


def count_on_page(visitor: Visitor, port: int, slug: str) -> int:
    status, _, page = visitor.request(port, "GET", f"/statements/{slug}/")
    number = TALLY_NUMBER.search(page)
    assert status == 200 and number is not None
    return int(re.sub(r"\D", "", number.group(1)) or 0)


def counts_through_nginx(stack: Stack, slug: str) -> int:
    answer = Visitor().request(stack.nginx, "GET", f"/api/v1/statements/{slug}/counts")[2]
    return int(json.loads(answer)["signatures"]["total"])


def test_nothing_depends_on_one_app_server_and_nginx_caches_anonymous_reads(stack: Stack):
    # One test, one start of the stack: the servers take most of its time.
    open_statement = build_open_statement(build_site())
    slug = open_statement.statement.slug
    StaffFactory.create(email="sam@example.org", full_name="Sam Secretariat", is_secretariat=True)
    guessed = StaffFactory.create(email="ana@example.org", full_name="Ana", is_secretariat=True)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sam = StaffFactory._meta.model.objects.get(email="sam@example.org")
    TOTPDevice.objects.create(user=sam, name="authenticator", confirmed=True)
    viewer = Visitor()
    assert count_on_page(viewer, stack.one, slug) == count_on_page(viewer, stack.two, slug) == 0
    assert counts_through_nginx(stack, slug) == 0  # now in nginx's cache, and the tally in Redis

    # A confirmation link made on one server is accepted by the other: the signer draws the form
    # on one, sends it to the other, and the link (computed here with the same keys) goes to the first.
    signer = Visitor()
    page = signer.request(stack.one, "GET", f"/statements/{slug}/")[2]
    revision = REVISION_FIELD.search(page)
    assert revision is not None
    form = {
        # No CSRF token: the public form is the same for everyone and refuses other sites' posts
        # by their Origin instead.
        "name": "Rosa Signer",
        "email": "rosa@example.org",
        "country": "FR",
        "city": "",
        "affiliation": "",
        "name_shown": "full",
        "revision": revision.group(1),
        "started": drawn_form_token(SIGN_FORM_TIMER),
        "website": "",
    }
    status, _, answer = signer.request(stack.two, "POST", f"/statements/{slug}/sign/", form)
    assert status == 200, answer[:500]
    signature = Signature.objects.get(email_hash=email_hash("rosa@example.org"))
    link = confirm_token(SignatureRef(signature_id=signature.pk, statement_id=open_statement.statement.pk))
    # The confirmation page is the signer's own (private, with a CSRF token), drawn on the other server.
    confirm_form = {"csrfmiddlewaretoken": signer.csrf(stack.two, f"/signatures/confirm/{link}/")}
    status, _, _ = signer.request(stack.one, "POST", f"/signatures/confirm/{link}/", confirm_form)
    assert status == 302  # to the thank-you page: confirmed
    confirmed_at = time.monotonic()

    # The change is seen on both servers, and through nginx's cache, within the stated freshness.
    seen: dict[str, float] = {}
    patience = CACHE_SECONDS + API_MAX_AGE_SECONDS + 2  # the longest of the bounds asserted below, and some
    while len(seen) < 3 and time.monotonic() - confirmed_at < patience:
        for name, count in (
            ("server one", lambda: count_on_page(viewer, stack.one, slug)),
            ("server two", lambda: count_on_page(viewer, stack.two, slug)),
            ("nginx", lambda: counts_through_nginx(stack, slug)),
        ):
            if name not in seen and count() == 1:
                seen[name] = time.monotonic() - confirmed_at
        time.sleep(0.2)
    assert len(seen) == 3, f"still the old count after {patience} s somewhere: {seen}"
    assert seen["server one"] <= CACHE_SECONDS + 1 and seen["server two"] <= CACHE_SECONDS + 1, seen
    # Through nginx the two lifetimes add up: a tally cached for CACHE_SECONDS may be kept by nginx
    # for the answer's max-age after that (measured: about 6 s; at worst about 10 s).
    assert seen["nginx"] <= CACHE_SECONDS + API_MAX_AGE_SECONDS + 1, seen

    # A staff session made on one server works on the other: the password on one, the second
    # factor on the other, then the workspace on both.
    staff = Visitor()
    sign_in = {"csrfmiddlewaretoken": staff.csrf(stack.one, "/accounts/sign-in/"), "username": sam.email}
    status, _, _ = staff.request(stack.one, "POST", "/accounts/sign-in/", sign_in | {"password": TEST_PASSWORD})
    assert status == 302
    code_form = {"csrfmiddlewaretoken": staff.csrf(stack.two, "/accounts/second-factor/"), "code": current_code(sam)}
    status, message, _ = staff.request(stack.two, "POST", "/accounts/second-factor/", code_form | {"next": "/staff/"})
    assert status == 302 and message["Location"] == "/staff/"
    assert staff.request(stack.one, "GET", "/staff/")[0] == 200
    assert staff.request(stack.two, "GET", "/staff/")[0] == 200
    # … and through nginx its pages are never cached: the session cookie bypasses the cache.
    status, message, _ = staff.request(stack.nginx, "GET", "/staff/")
    assert status == 200 and message["X-Cache-Status"] == "BYPASS"

    # A rate limit holds across both servers (counted in Redis): ten wrong passwords, alternately
    # on each, lock the account on both, even for the right password.
    guesser = Visitor()
    answers = []
    for attempt in range(11):
        port = (stack.one, stack.two)[attempt % 2]
        token = guesser.csrf(port, "/accounts/sign-in/")
        password = "wrong guess" if attempt < 10 else TEST_PASSWORD
        form = {"csrfmiddlewaretoken": token, "username": guessed.email, "password": password}
        status, _, page = guesser.request(port, "POST", "/accounts/sign-in/", form)
        answers.append("locked" if "Too many failed sign-ins" in page else "signed in" if status == 302 else "refused")
    assert answers == ["refused"] * 10 + ["locked"], answers
    assert len(stack.processes_that_answered()) == 2, "one process answered everything; the test proves nothing"

    nginx_serves_a_repeated_anonymous_get_from_its_cache(stack, slug)


def nginx_serves_a_repeated_anonymous_get_from_its_cache(stack: Stack, slug: str) -> None:
    anyone = Visitor()
    # The public API says Cache-Control: public, max-age=5: the second GET is nginx's copy.
    anyone.request(stack.nginx, "GET", f"/api/v1/statements/{slug}/counts")
    second = anyone.request(stack.nginx, "GET", f"/api/v1/statements/{slug}/counts")[1]
    assert second["X-Cache-Status"] == "HIT"
    assert "public" in second["Cache-Control"]
    # A session or the read-your-writes pin goes past the cache, and its answer is not stored.
    for cookie in ("sessionid", settings.SESSION_COOKIE_NAME, "undersigned_primary"):
        answer = Visitor(cookies={cookie: "1"}).request(stack.nginx, "GET", f"/api/v1/statements/{slug}")
        assert answer[1]["X-Cache-Status"] == "BYPASS", cookie
    assert anyone.request(stack.nginx, "GET", f"/api/v1/statements/{slug}")[1]["X-Cache-Status"] == "MISS"

    # The statement page carries nothing per visitor (no cookie, no token): one copy serves all.
    page = f"/statements/{slug}/"
    answers = [Visitor().request(stack.nginx, "GET", page)[1] for _ in range(2)]
    assert answers[0]["Set-Cookie"] is None and "s-maxage" in answers[0]["Cache-Control"]
    assert answers[1]["X-Cache-Status"] == "HIT"

    # Static files come from nginx itself, for a year.
    css = re.search(r'href="(/static/[^"]+\.css)"', Visitor().request(stack.nginx, "GET", page)[2])
    assert css is not None
    status, message, _ = Visitor().request(stack.nginx, "GET", css.group(1))
    assert status == 200 and message.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert message["X-Cache-Status"] is None

    # The transparency log's checkpoint and tiles are the same for everyone: nginx keeps one copy,
    # the tiles for as long as it likes.
    seal_pending()
    checkpoint = Visitor().request(stack.nginx, "GET", "/log/checkpoint")
    assert checkpoint[0] == 200
    size = tlog.parse_checkpoint(tlog.parse_note(checkpoint[2].encode()).text).size
    for path in ("/log/checkpoint", f"/log/tile/entries/000.p/{size}", f"/log/tile/0/000.p/{size}"):
        answers = [Visitor().request(stack.nginx, "GET", path)[1] for _ in range(2)]
        assert answers[1]["X-Cache-Status"] == "HIT", path
    assert answers[1]["Cache-Control"] == "public, max-age=31536000, immutable"
