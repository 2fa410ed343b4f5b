"""An editor sets up an authenticator app, signs out, and signs in again with a code computed from
the key the set-up page showed; a wrong code is refused with a message.

Nothing here waits for real time to pass: the test moves the clock on instead, to the app's next
code or past the pause a wrong code imposes. time-machine moves the clock of the whole process, so
the live server's thread sees the same time as the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import code_for_secret, sign_in
from undersigned.testing import TEST_PASSWORD, editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEP = 30  # seconds: an authenticator app shows a new code every step
WRONG_CODE_PAUSE = 1  # seconds: after one wrong code, django-otp's device checks no code for this long


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The process's clock, running from the start of the next code step. It stays close to the real
    time, since the browser keeps its own clock and would drop cookies that expired by it."""
    with time_machine.travel((int(time.time()) // STEP + 1) * STEP, tick=True) as traveller:
        yield traveller


def test_editor_enrols_an_authenticator_and_signs_in_with_its_code(
    page: Page, live_server, libraries, screenshot, clock, smtp_server, run_tasks
):
    editor(libraries)
    base = live_server.url
    page.goto(base + "/accounts/sign-in/")
    page.get_by_label("Email address").fill("eli@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    # First the mailbox: a password alone does not show the secret.
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a link to eli@example.org")
    screenshot(page, "second-factor-enrolment-mail")
    run_tasks()
    [link] = [url for url in smtp_server.links_in(smtp_server.messages[-1]) if "/second-factor/set-up/" in url]
    page.goto(base + link.removeprefix(settings.SITE_URL))
    expect(page.locator(".qr-code svg")).to_be_visible()
    screenshot(page, "second-factor-setup")
    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("This code is not right.")).to_be_visible()
    secret = page.locator(".secret-key").inner_text()
    clock.shift(WRONG_CODE_PAUSE + 1)
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
    # The code used at enrolment works only once: on to the app's next code (and past the pause).
    clock.shift(STEP)
    page.get_by_role("textbox", name="Code").fill(code_for_secret(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")

    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("An authenticator app is set up")).to_be_visible()
    screenshot(page, "security-page")


def test_the_shared_sign_in_helper_reuses_an_enrolled_key(page: Page, browser, live_server, libraries, clock):
    editor(libraries)
    secret = sign_in(page, live_server.url, "eli@example.org")
    other = browser.new_page()
    try:
        clock.shift(STEP)  # the code used to enrol works once: the second sign-in types the next one
        assert sign_in(other, live_server.url, "eli@example.org", secret=secret) == secret
    finally:
        other.close()
