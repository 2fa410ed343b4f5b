"""Fixtures shared by every domain's tests."""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core.cache import cache

if TYPE_CHECKING:
    from aiosmtpd.smtp import Envelope
    from playwright.sync_api import Browser, Page


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The federation's identity, tallies and statements are cached, in the shared cache and in each
    # process's memory (every such cache is listed in core.process_caches); no test may see another's.
    from undersigned.core import process_caches

    cache.clear()
    process_caches.clear_all()


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    # A view or command that activates a language must not leave it to the next test in the thread;
    # the mail connection a worker keeps open is for this test's mail server only.
    yield
    from django.utils import translation

    from undersigned.notifications.services import close_mail_connection

    translation.deactivate()
    close_mail_connection()


@pytest.fixture(autouse=True, scope="session")
def _flush_lifts_the_ledger_triggers() -> None:
    """Tests that commit are followed by a flush that DELETEs every row; on SQLite the ledger's
    append-only triggers would refuse it, so the flush lifts them for its own statements."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from undersigned.ledger.triggers import sqlite_create_statements, sqlite_drop_statements

    flush = DatabaseOperations.sql_flush

    def sql_flush_around_ledger_triggers(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not statements or not any(table.startswith("ledger_") for table in tables):
            return statements
        return [*sqlite_drop_statements(), *statements, *sqlite_create_statements()]

    DatabaseOperations.sql_flush = sql_flush_around_ledger_triggers  # type: ignore[method-assign]


class FormClock:
    """The clock of a browser test: it runs, and a public form's minimum fill time can be made to
    pass at once instead of waited for. The live server runs in this process, so it sees it too."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def let_fill_time_pass(self) -> None:
        from django.conf import settings

        self._traveller.shift(settings.FORM_MIN_FILL_SECONDS + 1)


@pytest.fixture
def form_clock() -> Iterator[FormClock]:
    with time_machine.travel(time.time(), tick=True) as traveller:
        yield FormClock(traveller)


@pytest.fixture
def rate_limit(monkeypatch) -> Callable[[str, int], None]:
    """Sets the limit of one of ``core.ratelimit.RULES`` for this test."""
    from dataclasses import replace

    from undersigned.core import ratelimit

    def set_limit(rule: str, limit: int) -> None:
        monkeypatch.setitem(ratelimit.RULES, rule, replace(ratelimit.RULES[rule], limit=limit))

    return set_limit


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this test process's own (``make test`` starts a throwaway server):
    TEST_REDIS_URL's database number (0 when it names none) plus one per xdist worker."""
    from urllib.parse import urlsplit, urlunsplit

    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        pytest.fail("Redis tests need TEST_REDIS_URL; `make test` starts a throwaway redis-server")
    parts = urlsplit(base)
    first = int(parts.path.strip("/") or 0)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{first + 1 + worker}"))


CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright; a missing browser fails the run, never skips it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, or `sudo apt-get install -y chromium`")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the same test
    # (building data for the live server) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Saves a full-page screenshot to test-artifacts/screenshots/<name>.png for a person to look at."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class _Mailbox:
    """What a real SMTP server on loopback received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def text_of(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""

    def links_in(self, message: EmailMessage) -> list[str]:
        return re.findall(r"https?://\S+", self.text_of(message))


@pytest.fixture
def smtp_server(settings) -> Iterator[_Mailbox]:
    """An aiosmtpd server on a free loopback port; Django's mail goes to it for the test."""
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def run_tasks() -> Callable[[], None]:
    """Runs the queued background tasks (mail delivery) as the worker would, then returns."""

    def run() -> None:
        from django.core.management import call_command

        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    return run


# A site with two commissions, each with a trustee, so statements can be published.
from undersigned.testing import libraries, mobility, site  # noqa: E402, F401


@pytest.fixture(autouse=True, scope="session")
def _remove_test_var_dir() -> Iterator[None]:
    """The test settings give each process a temporary VAR_DIR; it goes when the process ends."""
    yield
    from django.conf import settings

    var_dir = Path(settings.VAR_DIR)
    if var_dir.name.startswith("undersigned-test-var-"):
        shutil.rmtree(var_dir, ignore_errors=True)
