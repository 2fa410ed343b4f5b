"""PRODUCT.md journey 4 in Chromium: an editor adds a target, previews the mail, delivers; the mail
arrives with the PDF; the statement page and the transparency page show the delivery."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.deliveries.tests.conftest import add_target
from undersigned.ledger.services import seal_pending
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_delivers_the_statement_to_a_minister(
    page: Page, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=("fr",))
    editor(libraries)
    base = live_server.url
    sign_in(page, base, "eli@example.org")

    page.goto(base + "/staff/statements/library-opening-hours/")
    page.get_by_role("link", name="Delivery").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery")
    page.get_by_label("Name").fill("Claire Dupont")
    page.get_by_label("Role").fill("Ministre de la Culture")
    page.get_by_label("Organisation", exact=True).fill("Gouvernement")
    page.get_by_label("Email address").fill("claire.dupont@culture.example")
    page.get_by_label("Preferred language of the statement").select_option("fr")
    page.get_by_role("button", name="Add the target").click()
    expect(page.get_by_role("status")).to_contain_text("The target is added.")
    expect(page.locator("#targets table")).to_contain_text("claire.dupont@culture.example")

    page.get_by_label("Covering text").fill("Madame la Ministre,\n\nVoici notre déclaration et ses signataires.")
    page.get_by_role("button", name="Preview the mails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of the delivery")
    preview = page.locator(".mail-preview")
    expect(preview).to_contain_text("claire.dupont@culture.example")
    expect(preview).to_contain_text("library-opening-hours-signed-statement-fr.pdf")
    expect(preview.locator("pre")).to_contain_text("Voici notre déclaration")
    screenshot(page, "delivery-preview")
    page.get_by_role("button", name="Deliver to 1 target").click()
    expect(page.get_by_role("status")).to_contain_text("Delivered")

    run_tasks()
    (message,) = [message for message in smtp_server.messages if message["To"] == "claire.dupont@culture.example"]
    (attachment,) = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == "library-opening-hours-signed-statement-fr.pdf"
    assert attachment.get_content().startswith(b"%PDF-")

    page.reload()
    expect(page.locator("#deliveries .recipient--sent")).to_contain_text("Claire Dupont")
    screenshot(page, "delivery-staff-page")

    seal_pending()
    page.goto(base + "/statements/library-opening-hours/en/")
    record = page.locator(".delivery-record")
    expect(record).to_contain_text("Delivered to Claire Dupont, Ministre de la Culture on")
    expect(record).to_contain_text("with 0 signatures and 0 organisations.")
    screenshot(page, "delivery-statement-page")
    page.goto(base + "/statements/library-opening-hours/transparency/")
    expect(page.locator("#deliveries-heading")).to_be_visible()
    expect(page.locator("ul.deliveries")).to_contain_text("Claire Dupont")


def test_the_mail_mentions_the_solidarity_actions_unless_the_editor_unticks_it(
    page: Page, live_server, libraries, smtp_server, run_tasks, screenshot
):
    statement = published_statement(libraries, translations=("fr",))
    ensure_builtin_types()
    member = member_organisation()
    for kind, country in [("forum", "FR"), ("forum", "ES"), ("republication", "FR")]:
        SolidarityActionFactory(statement=statement, organisation=member, kind=kind, country=country)
    add_target(statement, name="Claire Dupont", email="claire.dupont@culture.example", language="fr")
    editor(libraries)
    base = live_server.url
    sign_in(page, base, "eli@example.org")

    page.goto(base + "/staff/statements/library-opening-hours/delivery/")
    option = page.get_by_label("Mention the solidarity actions")
    expect(option).to_be_checked()
    expect(page.locator("#deliver")).to_contain_text("3 actions in 2 countries")
    page.get_by_label("Covering text").fill("Madame la Ministre,\n\nVoici notre déclaration et ses signataires.")
    screenshot(page, "delivery-page-actions-option")
    page.get_by_role("button", name="Preview the mails").click()
    body = page.locator(".mail-preview pre")
    expect(body).to_contain_text("3 actions de solidarité dans 2 pays")
    expect(body).to_contain_text("/statements/library-opening-hours/actions/")
    screenshot(page, "delivery-preview-actions")

    # Back, untick, preview again: the mail says nothing of them, and the page says so.
    page.goto(base + "/staff/statements/library-opening-hours/delivery/")
    page.get_by_label("Covering text").fill("Madame la Ministre,")
    page.get_by_label("Mention the solidarity actions").uncheck()
    page.get_by_role("button", name="Preview the mails").click()
    expect(page.get_by_role("note")).to_contain_text("do not mention the statement's 3 solidarity actions")
    expect(page.locator(".mail-preview pre")).not_to_contain_text("solidarité")
    shown = page.locator(".mail-preview pre").inner_text()
    page.get_by_role("button", name="Deliver to 1 target").click()
    expect(page.get_by_role("status")).to_contain_text("Delivered")
    run_tasks()
    (message,) = [message for message in smtp_server.messages if message["To"] == "claire.dupont@culture.example"]
    sent = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert sent.strip() == shown.strip()
    page.reload()
    expect(page.locator("#deliveries")).to_contain_text("The mail did not mention the 3 solidarity actions.")
