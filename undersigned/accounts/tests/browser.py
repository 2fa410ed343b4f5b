"""Staff sign-in in the browser, second factor included, for every browser test that needs it."""

from __future__ import annotations

import time
from base64 import b32decode

from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from undersigned.testing import TEST_PASSWORD


def code_for_secret(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` (as the set-up page prints it)."""
    compact = secret.replace(" ", "").upper()
    key = b32decode(compact + "=" * (-len(compact) % 8))
    totp = TOTP(key)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def enrol_on_page(page: Page) -> str:
    """On the set-up page: reads the key, types the code; returns the key."""
    secret = page.locator(".secret-key").inner_text()
    page.get_by_role("textbox", name="Code").fill(code_for_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    return secret


def sign_in(page: Page, base: str, email: str, *, secret: str | None = None) -> str | None:
    """Signs in with the test password; sets up the second factor if the account has none yet,
    else types the code for ``secret``. Returns the key of the authenticator."""
    page.goto(base + "/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text("Staff sign-in")
    if heading.inner_text() == "Set up your second factor":
        secret = enrol_on_page(page)
    elif heading.inner_text() == "Second factor":
        assert secret is not None, "this account has an authenticator: pass its key"
        page.get_by_role("textbox", name="Code").fill(code_for_secret(secret))
        page.get_by_role("button", name="Continue").click()
        page.locator("h1:text-is('Staff workspace'), .field__error").first.wait_for()
        if page.locator(".field__error").count():
            # That code was used already in this 30-second step (codes work once): the app's next one.
            time.sleep(1.1)  # a refused code makes the device wait a second before the next check
            page.get_by_role("textbox", name="Code").fill(code_for_secret(secret, at=time.time() + 30))
            page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    return secret
