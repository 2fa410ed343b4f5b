"""PRODUCT.md journey 1 in Chromium: an editor publishes a pasted press release with a French
translation; readers find it in their language, the original, and the revision history."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_publishes_a_pasted_press_release_with_a_french_translation(
    page: Page, browser, live_server, libraries, screenshot
):
    editor(libraries)
    base = live_server.url
    sign_in(page, base, "eli@example.org")

    page.get_by_role("link", name="Statements").first.click()
    page.get_by_role("link", name="New statement from a press release").click()
    page.get_by_label("Press release").fill(PRESS_RELEASE)
    page.get_by_role("button", name="Read the press release").click()

    # The editor sees how the press release was read.
    expect(page.get_by_label("Title")).to_have_value("Statement on Library Opening Hours")
    expect(page.get_by_label("Headline calls")).to_have_value(
        "Open libraries when people can use them!\nEvenings and weekends for everyone!"
    )
    expect(page.get_by_label("Date")).to_have_value("2025-03-12")
    expect(page.get_by_label("Call to action")).to_have_value(
        "We call on our member organisations and on the public to endorse this statement."
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview article.statement h1")).to_have_text("Statement on Library Opening Hours")
    screenshot(page, "editor-parsed-press-release")
    page.get_by_role("button", name="Publish this text").click()
    expect(page.get_by_role("status")).to_contain_text("Revision 1 is published")

    page.locator(".breadcrumb").get_by_role("link", name="Statement on Library Opening Hours").click()
    page.locator("#translation_language").select_option("fr")
    page.get_by_role("button", name="Add a translation").click()
    expect(page.get_by_role("heading", name="Original (English)")).to_be_visible()
    page.get_by_label("Title").fill("Déclaration sur les horaires des bibliothèques")
    page.get_by_label("Headline calls").fill("Des bibliothèques ouvertes quand on peut y aller\u00a0!")
    page.get_by_label("Body").fill("La Commission des bibliothèques publiques demande l’ouverture le soir.")
    page.get_by_label("Call to action").fill("Soutenez cette déclaration.")
    screenshot(page, "editor-side-by-side-translation")
    page.get_by_role("button", name="Save the translation as a draft").click()
    page.get_by_role("button", name="Publish this text").click()
    expect(page.get_by_role("status")).to_contain_text("Revision 1 is published")

    page.locator(".breadcrumb").get_by_role("link", name="Statement on Library Opening Hours").click()
    page.get_by_role("button", name="Publish the statement").click()
    expect(page.get_by_role("status")).to_contain_text("The statement is published.")

    # An anonymous French reader.
    reader = browser.new_context(locale="fr-FR")
    french = reader.new_page()
    french.goto(base + "/statements/statement-on-library-opening-hours/")
    article = french.locator("article.statement")
    expect(article).to_have_attribute("lang", "fr")
    expect(article.get_by_role("heading", level=1)).to_have_text("Déclaration sur les horaires des bibliothèques")
    screenshot(french, "reader-french")
    french.get_by_role("link", name="English", exact=True).last.click()  # not "PDF in English"
    expect(french.locator("article.statement")).to_have_attribute("lang", "en")
    expect(french.locator("article.statement h1")).to_have_text("Statement on Library Opening Hours")

    # Later the editor corrects the original; the change is a new revision with a public note.
    page.goto(base + "/staff/statements/statement-on-library-opening-hours/texts/en/")
    page.get_by_label("Body").fill(
        page.get_by_label("Body").input_value().replace("in the evening", "in the evening and on Sundays")
    )
    page.get_by_label("Change note").fill("Adds Sundays.")
    page.get_by_role("button", name="Publish as a new revision").click()
    expect(page.get_by_role("status")).to_contain_text("Revision 2 is published")

    french.reload()
    french.get_by_role("link", name="Historique des révisions").click()
    expect(french.get_by_text("Adds Sundays.")).to_be_visible()
    french.get_by_role("link", name="Révision 2").click()
    expect(french.locator(".diff ins").first).to_contain_text("Sundays")
    screenshot(french, "reader-revision-diff")
    reader.close()


def test_an_arabic_statement_reads_right_to_left(browser, live_server, libraries, screenshot):
    published_statement(libraries, translations=("ar",))
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/statements/library-opening-hours/")
    article = page.locator("article.statement")
    expect(article).to_have_attribute("dir", "rtl")
    assert article.evaluate("element => getComputedStyle(element).direction") == "rtl"
    title = article.locator("h1").bounding_box()
    box = article.bounding_box()
    assert title and box and title["x"] + title["width"] > box["x"] + box["width"] - 5  # starts at the right edge
    screenshot(page, "statement-ar")
    context.close()

    # The same Arabic text inside an English interface is still right to left.
    context = browser.new_context(locale="en", viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/statements/library-opening-hours/ar/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("article.statement")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "statement-ar-in-english-phone")
    context.close()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_statement_prints_on_a4_and_letter(page: Page, live_server, libraries, paper, tmp_path):
    published_statement(libraries, translations=())
    page.goto(live_server.url + "/statements/library-opening-hours/")
    page.emulate_media(media="print")
    # The printout keeps who issued the statement and its count, not the navigation or the form.
    expect(page.locator(".statement-meta__body")).to_be_visible()
    expect(page.locator(".text-languages")).to_be_hidden()
    expect(page.locator(".sign-box")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("article.statement h1")).to_be_visible()
    pdf = page.pdf(format=paper, print_background=False)
    assert pdf.startswith(b"%PDF")
    # The text fits the page width: nothing is wider than the printable area.
    overflow = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not overflow
