"""Journey 2 of PRODUCT.md on a 360 px phone in every right-to-left interface language: chosen with
the language switcher, the page is mirrored (labels at the right, above their fields), nothing is
wider than the screen, and the reader signs and confirms.

The languages come from settings.LANGUAGES and Django's language data, so a right-to-left language
added to the interface is walked here without a change to this file. Names of buttons and headings
are read from the catalogues, so the test holds whatever stage a translation is at."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language_info
from playwright.sync_api import Browser, Page, expect

from undersigned.core.languages import interface_language_codes
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.statements.tests.builders import published_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIGHT_TO_LEFT = [code for code, _name in settings.LANGUAGES if get_language_info(code)["bidi"]]
PHONE = {"width": 360, "height": 740}
STATEMENT = "/statements/library-opening-hours/"


def test_the_interface_has_right_to_left_languages_to_walk():
    assert {"ar", "fa"} <= set(RIGHT_TO_LEFT)


def in_language(code: str, message: str) -> str:
    with translation.override(code):
        return translation.gettext(message)


STICKING_OUT = """() => {
    // In a right-to-left page what passes the right edge cannot be scrolled to, so scrollWidth
    // misses it: look at every box. Hidden on purpose: the honeypot field and screen-reader text.
    const width = document.documentElement.clientWidth;
    const hidden = ".honeypot, .honeypot *, .visually-hidden, .visually-hidden *";
    return [...document.body.querySelectorAll("*")].filter(element => {
        if (element.matches(hidden)) return false;
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && (box.left < -1 || box.right > width + 1);
    }).map(element => element.outerHTML.slice(0, 120));
}"""


def assert_fits_the_phone(page: Page) -> None:
    """Nothing sticks out sideways: a phone would scroll the whole page, or hide what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{urlsplit(page.url).path} is {width} px wide"
    assert page.evaluate(STICKING_OUT) == []


def assert_mirrored(page: Page, code: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", code)
    expect(html).to_have_attribute("dir", "rtl")
    assert page.locator("main").evaluate("element => getComputedStyle(element).direction") == "rtl"


TEXT_BOX = """element => {
    // Where the words are, not the block: a label is as wide as its field.
    const range = document.createRange();
    range.selectNodeContents(element);
    const box = range.getBoundingClientRect();
    return {x: box.x, y: box.y, width: box.width, height: box.height};
}"""


def assert_label_at_the_right_of_its_field(page: Page, field_id: str) -> None:
    label = page.locator(f'label[for="{field_id}"]').evaluate(TEXT_BOX)
    field = page.locator(f"#{field_id}").bounding_box()
    assert field is not None
    label_end = label["x"] + label["width"]
    field_end = field["x"] + field["width"]
    assert abs(label_end - field_end) <= 2, f"{field_id}: the label does not start at the field's right edge"
    assert label["x"] > field["x"] + 2, f"{field_id}: the label is not on the right"
    assert label["y"] + label["height"] <= field["y"] + 1, f"{field_id}: the label is not above its field"


@pytest.mark.parametrize("code", RIGHT_TO_LEFT)
def test_a_reader_signs_and_confirms_on_a_phone_in_a_right_to_left_language(
    browser: Browser, code, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=interface_language_codes(),
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    published_statement(libraries, translations=("ar",))
    context = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(live_server.url + STATEMENT)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator(f'.language-switcher a[hreflang="{code}"]').click()
    assert_mirrored(page, code)
    assert urlsplit(page.url).path == STATEMENT  # the switcher brings the reader back
    assert_fits_the_phone(page)
    screenshot(page, f"rtl-{code}-statement-phone")

    for field_id in ("id_name", "id_email", "id_country", "id_city"):
        assert_label_at_the_right_of_its_field(page, field_id)
    sign_box = page.locator("#sign").bounding_box()
    heading = page.locator("#sign-heading").bounding_box()
    assert sign_box and heading
    assert heading["x"] + heading["width"] > sign_box["x"] + sign_box["width"] - 40  # starts at the right
    page.locator("#id_name").fill("ليلى حداد")
    page.locator("#id_email").fill(f"layla.{code}@example.org")
    page.locator("#id_country").select_option("JO")
    screenshot(page, f"rtl-{code}-sign-form-phone")
    form_clock.let_fill_time_pass()
    page.locator("form[data-sign-form] button[type=submit]").click()
    expect(page.locator(".sign-box--done")).to_be_visible()
    expect(page.locator(".sign-box--done h2")).to_have_text(in_language(code, "Check your email"))
    assert_fits_the_phone(page)
    screenshot(page, f"rtl-{code}-check-your-email-phone")

    run_tasks()
    message = smtp_server.messages[-1]
    assert f'lang="{code}"' in message.get_body(preferencelist=("html",)).get_content()
    confirm = next(link for link in smtp_server.links_in(message) if "/signatures/confirm/" in link)
    page.goto(live_server.url + urlsplit(confirm).path)
    assert_mirrored(page, code)
    assert_fits_the_phone(page)
    screenshot(page, f"rtl-{code}-confirm-phone")
    page.get_by_role("button", name=in_language(code, "Confirm my signature")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(in_language(code, "Thank you: your signature is counted"))
    assert_mirrored(page, code)
    assert_fits_the_phone(page)
    screenshot(page, f"rtl-{code}-thanks-phone")

    page.goto(live_server.url + STATEMENT)
    expect(page.locator(".tally__number")).to_have_text("1")
    context.close()
