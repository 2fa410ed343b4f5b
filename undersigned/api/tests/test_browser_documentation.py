"""The API's documentation page in Chromium: it works with the site's strict CSP (no violation,
no request elsewhere), in English and in Arabic from right to left, and on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_documentation_page_reads_in_english_and_arabic(
    browser: Any, live_server: Any, site: None, screenshot: Any, language: str, viewport: str
) -> None:
    context = browser.new_context(locale=language, viewport=VIEWPORTS[viewport], java_script_enabled=False)
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/api/v1/docs/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("#get-statements-slug-counts")).to_be_visible()
    # The page's own stylesheet applied: the method badges are coloured.
    badge = page.locator("#get-statements-slug-counts .api-method")
    assert badge.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(11, 92, 173)"
    if viewport == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{language}: the page is {width}px wide on a 360px phone"
    page.locator("a[href='#get-statements-slug-counts']").click()
    screenshot(page, f"api-docs-{language}-{viewport}")
    assert not problems, problems
    assert all(url.startswith(live_server.url) for url in requests), requests
    context.close()
