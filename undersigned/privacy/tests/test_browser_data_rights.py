"""PRODUCT.md journey 6 in Chromium: a signer signs and confirms, asks for the link to their data,
opens it from the email, erases their records, and the statement's count does not move."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from undersigned.signatures.models import Signature
from undersigned.statements.tests.builders import published_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATEMENT = "/statements/library-opening-hours/"


def link_from_mail(smtp_server, run_tasks, fragment: str) -> str:
    run_tasks()
    for message in reversed(smtp_server.messages):
        for link in smtp_server.links_in(message):
            if fragment in link:
                return urlsplit(link).path
    raise AssertionError(f"no mail with a {fragment} link")


def sign_and_confirm(page: Page, form_clock, live_server, smtp_server, run_tasks, *, name: str, email: str) -> None:
    page.goto(live_server.url + STATEMENT)
    page.locator("#id_name").fill(name)
    page.locator("#id_email").fill(email)
    page.locator("#id_country").select_option("ES")
    form_clock.let_fill_time_pass()
    page.locator("form[data-sign-form] button[type=submit]").click()
    expect(page.locator(".sign-box--done")).to_be_visible()
    page.goto(live_server.url + link_from_mail(smtp_server, run_tasks, "/signatures/confirm/"))
    page.locator("main form button[type=submit]").click()  # "Confirm my signature", in any language
    expect(page.locator(".tally-line")).to_be_visible()


def ask_for_the_link(page: Page, form_clock, live_server, smtp_server, run_tasks, email: str) -> str:
    page.goto(live_server.url + STATEMENT)
    page.locator(".site-footer").get_by_role("link", name="Your data").click()  # on every page
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    page.get_by_label("Your email address").fill(email)
    form_clock.let_fill_time_pass()
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    return link_from_mail(smtp_server, run_tasks, "/your-data/")


def test_a_signer_erases_their_data_and_the_count_stays(
    page: Page, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=())
    sign_and_confirm(page, form_clock, live_server, smtp_server, run_tasks, name="Ana Pérez", email="ana@example.org")
    sign_and_confirm(page, form_clock, live_server, smtp_server, run_tasks, name="Bo Berg", email="bo@example.org")
    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".tally__number")).to_have_text("2")
    expect(page.locator(".retention-notice")).to_contain_text("90 days after the statement closes")
    screenshot(page, "data-rights-statement-retention")

    link = ask_for_the_link(page, form_clock, live_server, smtp_server, run_tasks, "ana@example.org")
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    expect(page.locator("main")).to_contain_text("Ana Pérez")
    expect(page.locator("main")).to_contain_text("Confirmed")
    expect(page.locator("main")).to_contain_text("this server cannot read them", ignore_case=True)
    expect(page.locator("main")).not_to_contain_text("ana@example.org")
    screenshot(page, "data-rights-records")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download all of it (JSON)").click()
    assert download.value.suggested_filename == "my-data.json"

    page.get_by_role("button", name="Erase my records").click()  # without ticking the box
    expect(page.locator(".field__error")).to_contain_text("Tick the box")
    page.get_by_label("I understand that my records are erased").check()
    page.get_by_role("button", name="Erase my records").click()
    expect(page.get_by_role("heading", name="Your records are erased")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This site holds nothing else about this email address.")
    screenshot(page, "data-rights-erased")

    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".tally__number")).to_have_text("2")
    page.get_by_role("link", name="Signatories").click()
    expect(page.locator(".signer-list")).to_contain_text("Bo Berg")
    expect(page.locator(".signer-list")).not_to_contain_text("Ana Pérez")
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == 2

    page.goto(live_server.url + link)  # the same link again
    expect(page.locator("main")).to_contain_text("This site holds nothing else about this email address.")


def test_the_pages_on_a_phone_and_in_arabic(
    browser, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=("ar",))
    context = browser.new_context(locale="ar", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_and_confirm(page, form_clock, live_server, smtp_server, run_tasks, name="ليلى حداد", email="layla@example.org")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(live_server.url + "/your-data/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "data-rights-request-ar-phone")
    page.locator("#id_email").fill("layla@example.org")
    form_clock.let_fill_time_pass()
    page.locator("form button[type=submit]").click()
    link = link_from_mail(smtp_server, run_tasks, "/your-data/")
    assert 'lang="ar"' in smtp_server.messages[-1].get_body(preferencelist=("html",)).get_content()
    page.goto(live_server.url + link)
    expect(page.locator("main")).to_contain_text("ليلى حداد")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(page, "data-rights-records-ar-phone")
    page.goto(live_server.url + "/statements/library-opening-hours/")
    screenshot(page, "data-rights-statement-ar-phone")
    context.close()


def test_the_secretariat_sets_the_retention_period(browser, live_server, libraries, screenshot):
    from django.conf import settings
    from django.test import Client

    from undersigned.testing import secretariat, staff_login

    published_statement(libraries, translations=())
    signed_in = Client()
    staff_login(signed_in, secretariat())
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(live_server.url + "/staff/statements/library-opening-hours/retention/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention of personal data")
    page.get_by_label("Days after the statement closes").fill("-3")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field__error")).to_contain_text("Enter at least 1 day.")
    screenshot(page, "data-rights-staff-retention-error")
    page.get_by_label("Days after the statement closes").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message")).to_have_text("The retention period is saved.")
    screenshot(page, "data-rights-staff-retention")
    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".retention-notice")).to_contain_text("30 days after the statement closes")
    context.close()
