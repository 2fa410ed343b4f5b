"""A secretariat member signs in, renames the federation and sees it on the public page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import enrol_on_page
from undersigned.testing import TEST_PASSWORD, secretariat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretariat_signs_in_and_names_the_federation(page: Page, live_server, screenshot):
    secretariat()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Staff sign-in").click()

    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active staff account")

    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enrol_on_page(page, live_server.url, "sam@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    page.get_by_role("link", name="Federation details").click()

    page.get_by_label("Contact address").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    screenshot(page, "staff-federation-invalid")

    page.get_by_label("Contact address").fill("secretariat@example.org")
    page.locator("#id_name_en").fill("Example Federation")
    page.locator("#id_name_ar").fill("الاتحاد النموذجي")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")

    page.get_by_role("link", name="Example Federation").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Example Federation")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Staff sign-in")).to_be_visible()
