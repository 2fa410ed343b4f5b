"""An editor sets up an authenticator app, signs out, and signs in again with a code computed from
the key the set-up page showed; a wrong code is refused with a message."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import code_for_secret, sign_in
from undersigned.testing import TEST_PASSWORD, editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_enrols_an_authenticator_and_signs_in_with_its_code(page: Page, live_server, libraries, screenshot):
    editor(libraries)
    base = live_server.url
    page.goto(base + "/accounts/sign-in/")
    page.get_by_label("Email address").fill("eli@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    expect(page.locator(".qr-code svg")).to_be_visible()
    screenshot(page, "second-factor-setup")
    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("This code is not right.")).to_be_visible()
    secret = page.locator(".secret-key").inner_text()
    time.sleep(1.1)  # a wrong code makes the device wait a second before it checks the next one
    page.get_by_role("textbox", name="Code").fill(code_for_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    expect(page.locator(".backup-codes li")).to_have_count(10)
    screenshot(page, "second-factor-backup-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Staff sign-in")).to_be_visible()

    # Signing in again: the password, then a wrong code is refused, then the next right code works.
    page.goto(base + "/accounts/sign-in/")
    page.get_by_label("Email address").fill("eli@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factor")
    wrong = str((int(code_for_secret(secret)) + 1) % 1_000_000).zfill(6)
    page.get_by_role("textbox", name="Code").fill(wrong)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("This code is not right, or was already used.")).to_be_visible()
    screenshot(page, "second-factor-wrong-code")
    page.goto(base + "/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factor")
    time.sleep(1.1)
    # The code used at enrolment cannot be used again: wait for the app's next code.
    page.get_by_role("textbox", name="Code").fill(code_for_secret(secret, at=time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")

    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("An authenticator app is set up")).to_be_visible()
    screenshot(page, "security-page")


def test_the_shared_sign_in_helper_reuses_an_enrolled_key(page: Page, browser, live_server, libraries):
    editor(libraries)
    secret = sign_in(page, live_server.url, "eli@example.org")
    other = browser.new_page()
    try:
        time.sleep(0.1)
        assert sign_in(other, live_server.url, "eli@example.org", secret=secret) == secret
    finally:
        other.close()
