"""Fixtures shared by every domain's tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The federation's identity is cached; a test that changes it must not leak into the next.
    cache.clear()


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this test process's own (``make test`` starts a throwaway server)."""
    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        pytest.fail("Redis tests need TEST_REDIS_URL; `make test` starts a throwaway redis-server")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"{base.rstrip('/')}/{1 + int(worker.removeprefix('gw'))}"


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
