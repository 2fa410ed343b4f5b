"""The API's documentation page in Chromium: it works with the site's strict CSP (no violation,
no request elsewhere), in English and in Arabic from right to left, and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_documentation_page_reads_in_english_and_arabic(browser, live_server, site, screenshot, language):
    for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 360, "height": 740})):
        context = browser.new_context(locale=language, viewport=viewport, java_script_enabled=False)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        elsewhere: list[str] = []
        page.on(
            "request",
            lambda request: None if request.url.startswith(live_server.url) else elsewhere.append(request.url),
        )
        page.goto(live_server.url + "/api/v1/docs/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        expect(page.locator("#get-statements-slug-counts")).to_be_visible()
        # The page's own stylesheet applied: the method badges are coloured.
        badge = page.locator("#get-statements-slug-counts .api-method")
        assert badge.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(11, 92, 173)"
        if name == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{language}: the page is {width}px wide on a 360px phone"
        page.locator("a[href='#get-statements-slug-counts']").click()
        screenshot(page, f"api-docs-{language}-{name}")
        assert not problems, problems
        assert not elsewhere, elsewhere
        context.close()
