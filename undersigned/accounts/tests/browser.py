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


def unused_code(email: str, secret: str) -> str:
    """The code for now, or, when this step's code was used already (a code works once), the
    app's next one, which the server accepts as well: never a refused code, so the device never
    makes the test wait. The live server shares this process's database, so its record of the
    last step used is read directly."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__email=email, confirmed=True).first()
    if device is None:
        return code_for_secret(secret)
    now_step = int((time.time() - device.t0) // device.step)
    step = max(now_step, device.last_t + 1)
    return code_for_secret(secret, at=device.t0 + step * device.step + 1)


def enrol_on_page(page: Page, base: str, email: str) -> str:
    """On the set-up page: asks for the mailed link and opens it (made here, not read from a mail
    server: the whole journey with the mail is ``test_browser_second_factor``), reads the key,
    types the code; returns the key."""
    from undersigned.accounts.enrolment import ENROLMENT_LINK
    from undersigned.accounts.models import User
    from undersigned.core.links import make_link

    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a link")
    user_id = User.objects.get(email=email).pk
    page.goto(f"{base}/accounts/second-factor/set-up/{make_link(ENROLMENT_LINK, user_id)}/")
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
        secret = enrol_on_page(page, base, email)
    elif heading.inner_text() == "Second factor":
        assert secret is not None, "this account has an authenticator: pass its key"
        page.get_by_role("textbox", name="Code").fill(unused_code(email, secret))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff workspace")
    return secret
