"""A member organisation's contact offers a translation in a browser, on a phone and on a desktop
screen: from the member page to the form and back, with the offer's state shown; nothing is wider
than the phone, and the original stands beside the form where there is room for both."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tokens import sign_in_token
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.models import StatementText
from undersigned.statements.tests.builders import published_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def sign_in_as_member(page: Page, base: str) -> None:
    page.goto(f"{base}/organisations/members/sign-in/{sign_in_token('ana@reading-room.example')}/")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organisations/members/")


def fits_the_width(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{urlsplit(page.url).path} is {width} px wide"  # type: ignore[index]


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_member_contact_offers_a_translation(browser: Browser, live_server, libraries, screenshot, viewport, name):
    ensure_builtin_types()
    statement = published_statement(libraries, translations=("fr",))
    member_organisation()
    context = browser.new_context(locale="en-GB", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in_as_member(page, live_server.url)

    page.get_by_role("link", name="Offer a translation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offer a translation")
    fits_the_width(page)
    original = page.locator(".original__text").bounding_box()
    form = page.locator("main form.sign-form").bounding_box()
    assert original and form
    if name == "desktop":  # side by side
        assert abs(original["y"] - form["y"]) < 80 and original["x"] + original["width"] <= form["x"]
    else:  # one above the other
        assert original["y"] + original["height"] <= form["y"]
    screenshot(page, f"translation-offer-{name}")

    page.locator("#id_language").select_option("es")
    page.locator("#id_title").fill("Declaración sobre el horario de las bibliotecas")
    page.locator("#id_body").fill("La Comisión pide que las bibliotecas abran por la tarde.")
    page.get_by_role("button", name="Offer the translation").click()
    page.wait_for_url("**/organisations/members/#offers")
    expect(page.locator("#offers")).to_contain_text("offered, waiting for the editors")
    fits_the_width(page)
    screenshot(page, f"translation-offer-sent-{name}")
    assert StatementText.objects.get(statement=statement, language="es").offered_by is not None

    # Offered once, Spanish is no longer among the languages to choose from.
    page.goto(f"{live_server.url}/statements/{statement.slug}/translations/offer/")
    assert page.locator('#id_language option[value="es"]').count() == 0
    page.locator("#id_language").select_option("de")
    page.locator("#id_title").fill("")
    page.get_by_role("button", name="Offer the translation").click()
    expect(page.locator(".form-errors")).to_be_visible()
    expect(page.locator(".field--invalid").first).to_contain_text("This field is required.")
    fits_the_width(page)
    screenshot(page, f"translation-offer-refused-{name}")
    context.close()
