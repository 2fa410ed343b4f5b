"""An editor makes a staff API token on the security page, sees it once, and finds it listed
without its secret; in English and in Arabic (right to left)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = re.compile(r"und_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def make_token(page: Page, name: str) -> str:
    page.locator("#token_name").fill(name)
    page.locator("#token_scopes_0").check()  # read
    page.locator("#token_scopes_1").check()  # moderate
    page.locator("#token_days").select_option("90")
    page.locator("#tokens-heading ~ form button[type=submit]").click()
    shown = page.locator(".notice .secret-key")
    expect(shown).to_be_visible()
    secret = shown.inner_text()
    assert SECRET.fullmatch(secret)
    return secret


def test_an_editor_makes_a_token_sees_it_once_and_finds_it_listed(page: Page, live_server, libraries, screenshot):
    editor(libraries)
    sign_in(page, live_server.url, "eli@example.org")
    page.goto(live_server.url + "/accounts/security/")
    secret = make_token(page, "Weekly counts")
    page.locator(".notice").scroll_into_view_if_needed()
    screenshot(page, "api-token-created-en")

    page.goto(live_server.url + "/accounts/security/")
    table = page.locator("#tokens-heading ~ table")
    expect(table).to_contain_text("Weekly counts")
    expect(table).to_contain_text(f"{secret[:17]}…")
    assert secret not in page.content()
    screenshot(page, "api-token-listed-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    make_token(page, "عدّاد أسبوعي")
    screenshot(page, "api-token-created-ar")
    page.goto(live_server.url + "/accounts/security/")
    expect(page.locator("#tokens-heading ~ table tbody tr")).to_have_count(2)
    assert not SECRET.search(page.content())
    screenshot(page, "api-token-listed-ar")
