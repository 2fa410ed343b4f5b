"""PRODUCT.md journey 5 in Chromium: an editor invalidates a burst of signatures from one network
in the moderation queue, and the transparency page shows it, with its chart and its head."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.ledger.services import seal_pending
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.signatures.tests.test_moderation import BURST_NETWORK, make_burst
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_invalidates_a_burst_and_the_transparency_page_shows_it(
    page: Page, live_server, libraries, screenshot
):
    editor(libraries)
    target = build_open_statement(libraries)
    make_burst(target, size=24, others=6)
    seal_pending()
    base = live_server.url
    page.goto(f"{base}/statements/{target.statement.slug}/transparency/")
    expect(page.locator(".tally__number")).to_have_text("30")

    sign_in(page, base, "eli@example.org")
    page.goto(f"{base}/staff/statements/{target.statement.slug}/")
    page.get_by_role("link", name="Moderate signatures").click()
    page.locator("select#id_signal").select_option("network_burst")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("main")).to_contain_text("4 signatures match.")
    # The burst's network, from a flagged row, shows every signature that came from it.
    page.get_by_role("link", name=BURST_NETWORK[:8]).first.click()
    expect(page.locator("main")).to_contain_text("24 signatures match.")
    screenshot(page, "moderation-queue-burst")
    page.get_by_label("Apply to all 24 matching signatures, not only the chosen ones").check()
    page.get_by_label("Reason (published on the transparency page)").fill("Burst from one network")
    page.get_by_role("button", name="Invalidate").click()
    expect(page.locator(".messages")).to_contain_text("24 signatures invalidated.")

    seal_pending()  # what the worker does a few seconds later
    page.goto(f"{base}/statements/{target.statement.slug}/transparency/")
    expect(page.locator(".tally__number")).to_have_text("6")
    removed = page.locator("section", has=page.get_by_role("heading", name="Removed from the count"))
    expect(removed).to_contain_text("Invalidated")
    expect(removed).to_contain_text("Burst from one network")
    expect(removed.locator("td").last).to_have_text("24")
    expect(page.locator("svg.chart").first).to_be_visible()
    head = page.locator("section", has=page.get_by_role("heading", name="The published head of the log"))
    expect(head.locator("dl.head")).to_contain_text("54")  # 30 confirmations and 24 invalidations
    site_log = page.locator("section", has=page.get_by_role("heading", name="The site's transparency log"))
    expect(site_log.locator("dl.head")).to_contain_text("54 entries, signed on")  # the site's tree, one statement
    screenshot(page, "transparency-page")
