"""PRODUCT.md journey 2 in Chromium: sign, confirm from the email, be counted; withdraw."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from undersigned.statements.tests.builders import published_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_and_sign(page: Page, form_clock, *, name: str, email: str, country: str) -> None:
    page.locator("#id_name").fill(name)
    page.locator("#id_email").fill(email)
    page.locator("#id_country").select_option(country)
    form_clock.let_fill_time_pass()
    page.locator("form[data-sign-form] button[type=submit]").click()


def confirmation_path(smtp_server, run_tasks) -> tuple[str, str]:
    run_tasks()
    assert len(smtp_server.messages) == 1
    links = smtp_server.links_in(smtp_server.messages[0])
    confirm = next(link for link in links if "/signatures/confirm/" in link)
    withdraw = next(link for link in links if "/signatures/withdraw/" in link)
    return urlsplit(confirm).path, urlsplit(withdraw).path


def test_sign_confirm_from_the_email_and_be_counted(
    page: Page, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=("fr",))
    page.goto(live_server.url + "/statements/library-opening-hours/")
    expect(page.locator(".tally__number")).to_have_text("0")
    fill_and_sign(page, form_clock, name="Ana Pérez", email="ana@example.org", country="ES")
    # With JavaScript the answer replaces the form in place.
    expect(page.locator(".sign-box--done")).to_be_visible()
    assert page.url.endswith("/statements/library-opening-hours/")
    screenshot(page, "sign-check-your-email")

    confirm, _withdraw = confirmation_path(smtp_server, run_tasks)
    page.goto(live_server.url + confirm)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your signature")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator(".tally-line")).to_have_text("1 person has signed.")
    screenshot(page, "sign-thanks")

    page.goto(live_server.url + "/statements/library-opening-hours/")
    expect(page.locator(".tally__number")).to_have_text("1")
    page.get_by_role("link", name="Signatories").click()
    expect(page.locator(".signer-list")).to_contain_text("Ana Pérez")
    expect(page.locator("body")).not_to_contain_text("ana@example.org")


def test_a_signer_withdraws(page: Page, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot):
    published_statement(libraries, translations=())
    page.goto(live_server.url + "/statements/library-opening-hours/")
    fill_and_sign(page, form_clock, name="Bo Berg", email="bo@example.org", country="SE")
    expect(page.locator(".sign-box--done")).to_be_visible()
    confirm, withdraw = confirmation_path(smtp_server, run_tasks)
    page.goto(live_server.url + confirm)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator(".tally-line")).to_have_text("1 person has signed.")
    assert withdraw.startswith("/signatures/withdraw/")  # the email carries one too

    page.get_by_role("link", name="withdraw my signature").click()
    assert urlsplit(page.url).path.startswith("/signatures/withdraw/")
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your signature is withdrawn")
    screenshot(page, "sign-withdrawn")
    page.goto(live_server.url + "/statements/library-opening-hours/")
    expect(page.locator(".tally__number")).to_have_text("0")


def test_signing_works_without_javascript(browser, form_clock, live_server, libraries, smtp_server, run_tasks):
    published_statement(libraries, translations=())
    context = browser.new_context(java_script_enabled=False, locale="en")
    page = context.new_page()
    page.goto(live_server.url + "/statements/library-opening-hours/")
    fill_and_sign(page, form_clock, name="Cy Chen", email="cy@example.org", country="FR")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert page.url.endswith("/statements/library-opening-hours/sign/")
    confirm, _withdraw = confirmation_path(smtp_server, run_tasks)
    page.goto(live_server.url + confirm)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator(".tally-line")).to_have_text("1 person has signed.")
    context.close()


def test_a_wrong_field_is_explained_next_to_it(page: Page, form_clock, live_server, libraries, screenshot):
    published_statement(libraries, translations=())
    page.goto(live_server.url + "/statements/library-opening-hours/")
    fill_and_sign(page, form_clock, name="Dee", email="dee@nowhere", country="DE")
    expect(page.locator(".field__error")).to_contain_text("Enter")
    screenshot(page, "sign-error")


def test_the_signatories_list_pages_older_and_newer_without_javascript(browser, live_server, libraries, screenshot):
    from undersigned.signatures.tests.test_views import _confirmed_signers

    statement = published_statement(libraries, translations=())
    names = _confirmed_signers(statement, 53, hidden=(4,))
    for locale in ("en", "ar"):
        context = browser.new_context(java_script_enabled=False, locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(live_server.url + "/statements/library-opening-hours/signatures/")
        expect(page.locator(".signer-list__name")).to_have_count(50)
        expect(page.locator(".signer-list__name").first).to_have_text(names[-1])
        screenshot(page, f"signatories-list-{locale}")
        page.locator("a[rel=next]").click()
        expect(page.locator(".signer-list__name")).to_have_text(names[:2][::-1])
        screenshot(page, f"signatories-list-older-{locale}")
        page.locator("a[rel=prev]").click()
        expect(page.locator(".signer-list__name")).to_have_count(50)
        expect(page.locator("a[rel=prev]")).to_have_count(0)
        context.close()


def test_on_a_phone_the_first_screen_leads_individuals_to_the_form(page: Page, live_server, libraries, screenshot):
    published_statement(libraries, translations=())
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/statements/library-opening-hours/")
    sign = page.get_by_role("link", name="Sign this statement")
    organisation = page.get_by_role("link", name="Sign on as an organisation")
    sign_box, organisation_box = sign.bounding_box(), organisation.bounding_box()
    assert sign_box is not None and organisation_box is not None
    assert sign_box["y"] + sign_box["height"] <= 740  # on the first screen
    # Individuals first: before the organisations' way in, in reading order.
    assert (sign_box["y"], sign_box["x"]) <= (organisation_box["y"], organisation_box["x"])
    screenshot(page, "statement-phone-first-screen")
    sign.click()
    expect(page.locator("#id_name")).to_be_in_viewport()


def test_a_form_sent_back_puts_its_errors_where_the_eye_is(page: Page, form_clock, live_server, libraries):
    published_statement(libraries, translations=())
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/statements/library-opening-hours/")
    page.locator("#id_name").fill("Ana Pérez")
    page.locator("#id_email").fill("ana@example.org")
    page.locator("#id_country").select_option("ES")
    page.locator("form[data-sign-form] button[type=submit]").click()  # faster than the form allows
    summary = page.locator("#sign .form-errors")
    expect(summary).to_contain_text("too quickly")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(page.locator("#id_name")).to_have_value("Ana Pérez")  # what was typed is kept
