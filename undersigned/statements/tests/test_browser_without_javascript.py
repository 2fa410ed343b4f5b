"""The public journeys of PRODUCT.md in a Chromium with JavaScript turned off: sign and confirm,
an organisation's sign-on, its confirmation and an editor's approval, a member's one-click
endorsement, and the data rights (see, withdraw, erase). The statement asks for no proof of work,
the one step that needs a script.

JavaScript only improves these pages; a reader whose browser runs none (a locked-down phone, a
text browser, a security setting) must still get through every step."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.commissions.models import Commission
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tests.test_browser_sign_on import logo_png
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATEMENT = "/statements/library-opening-hours/"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A phone-sized page of a browser that runs no script at all."""
    context = browser.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def statement(libraries) -> Statement:
    ensure_builtin_types()  # organisation types; a test with its own transactions empties their table
    statement = published_statement(libraries, translations=())
    assert not statement.needs_proof_of_work()
    return statement


def link_from_mail(smtp_server, run_tasks, fragment: str) -> str:
    run_tasks()
    for message in reversed(smtp_server.messages):
        for link in smtp_server.links_in(message):
            if fragment in link:
                return urlsplit(link).path
    raise AssertionError(f"no mail with a {fragment} link")


def assert_no_script_ran(page: Page) -> None:
    # Playwright's own evaluation still runs; the page's scripts (the proof-of-work widget's module,
    # the sign form's fetch) did not.
    assert page.evaluate("customElements.get('altcha-widget') === undefined")


def sign(page: Page, form_clock, *, name: str, email: str, country: str = "ES") -> None:
    page.locator("#id_name").fill(name)
    page.locator("#id_email").fill(email)
    page.locator("#id_country").select_option(country)
    form_clock.let_fill_time_pass()
    page.locator("form[data-sign-form] button[type=submit]").click()


def sign_and_confirm(page: Page, form_clock, live_server, smtp_server, run_tasks, *, name: str, email: str) -> None:
    page.goto(live_server.url + STATEMENT)
    sign(page, form_clock, name=name, email=email)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(live_server.url + link_from_mail(smtp_server, run_tasks, "/signatures/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your signature is counted")


def test_on_a_phone_a_reader_signs_confirms_and_is_counted(
    page: Page, statement, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    page.goto(live_server.url + STATEMENT)
    assert_no_script_ran(page)
    expect(page.locator(".tally__number")).to_have_text("0")
    # The call to action on the first screen is a link to the form further down the page.
    page.get_by_role("link", name="Sign this statement").click()
    expect(page.locator("#id_name")).to_be_in_viewport()
    screenshot(page, "no-script-sign-form")

    sign(page, form_clock, name="Ana Pérez", email="ana@example.org")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert urlsplit(page.url).path == STATEMENT + "sign/"
    screenshot(page, "no-script-sign-check-your-email")

    page.goto(live_server.url + link_from_mail(smtp_server, run_tasks, "/signatures/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator(".tally-line")).to_have_text("1 person has signed.")
    screenshot(page, "no-script-sign-thanks")

    page.get_by_role("link", name="Back to the statement").click()
    expect(page.locator(".tally__number")).to_have_text("1")
    page.locator(".tally-countries summary").click()  # the details element opens without a script
    expect(page.locator(".tally-countries li")).to_have_text("Spain: 1")
    page.get_by_role("link", name="Signatories").click()
    expect(page.locator(".signer-list")).to_contain_text("Ana Pérez")


def test_a_form_with_a_mistake_comes_back_whole_and_explained(
    page: Page, statement, form_clock, live_server, libraries
):
    page.goto(live_server.url + STATEMENT)
    sign(page, form_clock, name="Dee Dahl", email="dee@nowhere")
    expect(page.locator("#sign .form-errors")).to_be_visible()
    expect(page.locator(".field__error")).to_contain_text("Enter")
    expect(page.locator("#id_name")).to_have_value("Dee Dahl")
    page.locator("#id_email").fill("dee@example.org")
    form_clock.let_fill_time_pass()
    page.locator("form[data-sign-form] button[type=submit]").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_the_language_switcher_works_without_a_script(page: Page, statement, live_server, libraries):
    page.goto(live_server.url + STATEMENT)
    page.locator(".language-switcher").get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert urlsplit(page.url).path == STATEMENT  # back where the reader was
    page.locator(".language-switcher").get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator(".language-switcher").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_organisation_signs_on_confirms_and_is_listed(
    page: Page, browser, statement, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    editor(libraries)
    base = live_server.url
    page.goto(base + STATEMENT)
    page.get_by_role("link", name="Sign on as an organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign on as an organisation")
    page.locator("#id_name").fill("Neighbourhood Readers' Association")
    page.locator("#id_country").select_option("ES")
    page.locator("#id_type").select_option(label="Association")
    page.get_by_label("Website (optional)").fill("readers.example.org")
    page.locator("#id_logo").set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()})
    page.get_by_label("Contact person's name").fill("Rosa Contact")
    page.get_by_label("Their role in the organisation").fill("Coordinator")
    page.get_by_label("Contact email address").fill("rosa@readers.example.org")
    page.locator("#id_consent").check()
    form_clock.let_fill_time_pass()
    page.get_by_role("button", name="Sign on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    screenshot(page, "no-script-sign-on-check-your-email")

    page.goto(base + link_from_mail(smtp_server, run_tasks, "/sign-ons/confirm/"))
    page.get_by_role("button", name="Confirm the sign-on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-on confirmed")

    # The editor's review, also without a script, on a desk-sized screen.
    staff = browser.new_context(java_script_enabled=False, locale="en-GB", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    desk.set_default_timeout(10_000)
    sign_in(desk, base, "eli@example.org")
    desk.get_by_role("link", name="Organisations' sign-ons").click()
    expect(desk.locator(".review-table")).to_contain_text("Neighbourhood Readers' Association")
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(desk.locator(".messages")).to_contain_text("1 sign-on approved.")
    staff.close()

    page.goto(base + STATEMENT)
    expect(page.locator(".tally__organisations")).to_have_text("1")
    expect(page.locator("#organisations")).to_contain_text("Neighbourhood Readers' Association")


def test_a_signer_sees_withdraws_and_erases_their_data(
    page: Page, statement, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    sign_and_confirm(page, form_clock, live_server, smtp_server, run_tasks, name="Ana Pérez", email="ana@example.org")
    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".tally__number")).to_have_text("1")

    page.locator(".site-footer").get_by_role("link", name="Your data").click()
    page.get_by_label("Your email address").fill("ana@example.org")
    form_clock.let_fill_time_pass()
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    records = link_from_mail(smtp_server, run_tasks, "/your-data/")

    page.goto(live_server.url + records)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    expect(page.locator("main")).to_contain_text("Ana Pérez")
    expect(page.locator("main")).to_contain_text("Confirmed")
    screenshot(page, "no-script-data-rights-records")

    page.get_by_role("button", name="Withdraw this signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw this signature?")
    page.get_by_role("link", name="No, keep it").click()  # changing one's mind is a link back
    expect(page.locator("main")).to_contain_text("Confirmed")
    page.get_by_role("button", name="Withdraw this signature").click()
    page.get_by_role("button", name="Yes, withdraw my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    expect(page.locator("main")).to_contain_text("Withdrawn")
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN

    page.get_by_role("button", name="Erase my records").click()  # without ticking the box
    expect(page.locator(".field__error")).to_contain_text("Tick the box")
    page.get_by_label("I understand that my records are erased").check()
    page.get_by_role("button", name="Erase my records").click()
    expect(page.get_by_role("heading", name="Your records are erased")).to_be_visible()
    screenshot(page, "no-script-data-rights-erased")

    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".tally__number")).to_have_text("0")


def test_a_member_contact_signs_in_by_email_and_endorses_with_one_click(
    page: Page, statement, live_server, libraries, smtp_server, run_tasks
):
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    member_organisation()
    base = live_server.url
    page.goto(base + STATEMENT + "sign-on/")
    page.get_by_role("link", name="Sign in with your email").click()
    page.get_by_label("Your email address at your organisation").fill("ana@reading-room.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(base + link_from_mail(smtp_server, run_tasks, "/sign-in/"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Endorse for your organisation")
    page.get_by_role("button", name="Endorse for Friends of the Reading Room").click()
    expect(page.locator(".messages")).to_contain_text("Friends of the Reading Room now endorses this statement.")

    page.goto(base + STATEMENT)
    expect(page.locator("#organisations")).to_contain_text("Friends of the Reading Room")
