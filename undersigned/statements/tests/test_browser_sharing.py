"""The statement page's share links in Chromium, on a phone and on a desktop, without JavaScript."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from undersigned.statements.tests.builders import published_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "library-opening-hours"


@pytest.mark.parametrize(("width", "language"), [(360, "en"), (1280, "en"), (360, "ar")])
def test_the_share_links_are_plain_links_that_work_without_javascript(
    browser: Browser, live_server, libraries, screenshot, width, language
):
    published_statement(libraries, translations=("ar",))
    context = browser.new_context(
        locale=f"{language}", viewport={"width": width, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/statements/{SLUG}/{language}/")

    share = page.get_by_role("region", name="Share this statement" if language == "en" else "شارك هذا البيان")
    expect(share).to_be_visible()
    whatsapp = share.get_by_role("link", name="Share on WhatsApp" if language == "en" else "المشاركة على WhatsApp")
    expect(whatsapp).to_be_visible()
    href = whatsapp.get_attribute("href") or ""
    assert parse_qs(urlsplit(href).query)["text"][0].endswith(f"{live_server.url}/statements/{SLUG}/{language}/")
    # Each link is a finger's size, and none runs off a phone's screen.
    for link in share.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44 and 0 <= box["x"] and box["x"] + box["width"] <= width
    address = share.locator("input#share-address")
    expect(address).to_have_value(f"{live_server.url}/statements/{SLUG}/{language}/")
    expect(address).to_have_attribute("readonly", "")
    address.scroll_into_view_if_needed()
    screenshot(page, f"share-links-{language}-{width}")
    # The page asked nothing of the services it links to.
    assert all(url.startswith(live_server.url) for url in requested), requested
    context.close()
