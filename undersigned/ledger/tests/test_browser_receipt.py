"""Issue 23's journey in Chromium: a signer confirms, waits for the sealing, downloads the receipt
from the thank-you page, and a stranger checks it with the script and the key the transparency
page publishes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from undersigned.ledger.services import seal_pending
from undersigned.signatures.tests.test_browser_signing import confirmation_path, fill_and_sign
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signer_downloads_a_receipt_that_a_stranger_checks(
    page: Page, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot, tmp_path
):
    published_statement(libraries)
    page.goto(live_server.url + "/statements/library-opening-hours/")
    fill_and_sign(page, form_clock, name="Ana Pérez", email="ana@example.org", country="ES")
    expect(page.locator(".sign-box--done")).to_be_visible()
    confirm, _withdraw = confirmation_path(smtp_server, run_tasks)
    page.goto(live_server.url + confirm)
    page.get_by_role("button", name="Confirm my signature").click()
    proof = page.locator("section", has=page.get_by_role("heading", name="Proof that your signature is counted"))
    expect(proof).to_contain_text("Reload this page to download it")

    seal_pending()  # what the worker does a few seconds later
    page.reload()
    with page.expect_download() as download:
        proof.get_by_role("link", name="Download my receipt").click()
    receipt = tmp_path / download.value.suggested_filename
    download.value.save_as(receipt)
    assert receipt.name.endswith(".tlog-proof")
    screenshot(page, "thanks-with-receipt")

    # The stranger reads the log's key off the transparency page, as the page tells them to.
    proof.get_by_role("link", name="how to check a receipt").click()
    command = page.locator("pre.command").first.inner_text()
    log_key = re.search(r"--log (\S+)", command).group(1)
    checked = subprocess.run(  # noqa: S603  (our own script, isolated from the project)
        [sys.executable, "-I", str(ROOT / "tools" / "verify_statement.py"), "receipt", str(receipt), "--log", log_key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "library-opening-hours" in checked.stdout and "ES" in checked.stdout
