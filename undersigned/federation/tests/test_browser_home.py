"""The home page in a real browser: languages, direction, the switcher, keyboard and phone use."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={
            "en": LocalisedText(name="Example Federation", description="A network of community organisations."),
            "ar": LocalisedText(name="الاتحاد النموذجي", description="شبكة من المنظمات المجتمعية."),
        },
    )
    commission_create(
        actor=None,
        slug="public-libraries",
        texts={
            "en": CommissionTextInput(name="Commission on Public Libraries", mandate="Opening hours and lending."),
            "ar": CommissionTextInput(name="لجنة المكتبات العامة", mandate="ساعات العمل وخدمات الإعارة."),
        },
    )


def test_home_page_in_english_then_arabic_through_the_switcher(page: Page, live_server, site, screenshot):
    external = []
    page.on(
        "request", lambda request: None if request.url.startswith(live_server.url) else external.append(request.url)
    )

    page.goto(live_server.url + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Example Federation")
    switcher = page.get_by_role("navigation", name="Language")
    expect(switcher.locator("[aria-current=true]")).to_have_text("English")
    expect(switcher.get_by_role("link")).to_have_count(3)
    screenshot(page, "home-en")

    switcher.get_by_role("link", name="العربية").click()
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("الاتحاد النموذجي")
    expect(page.get_by_text("لجنة المكتبات العامة")).to_be_visible()
    arabic_switcher = page.get_by_role("navigation", name="اللغة")
    expect(arabic_switcher.locator("[aria-current=true]")).to_have_text("العربية")
    # Right to left for real: the site name sits at the right edge of the header.
    name_box = page.locator(".site-name").bounding_box()
    assert name_box and name_box["x"] > 640
    screenshot(page, "home-ar")

    # The choice is remembered on the next visit.
    page.goto(live_server.url + "/")
    expect(html).to_have_attribute("lang", "ar")
    assert external == [], f"the page loaded from other sites: {external}"


def test_arabic_browser_gets_arabic_first(browser, live_server, site):
    context = browser.new_context(locale="ar")
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    context.close()


def test_skip_link_and_visible_focus(page: Page, live_server, site):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_phone_width_has_no_sideways_scrolling(browser, live_server, site, screenshot):
    for language in ("en", "ar"):
        context = browser.new_context(
            locale=language, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
        )
        page = context.new_page()
        page.goto(live_server.url + "/")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 360, f"{language}: the page is {scroll_width}px wide on a 360px phone"
        screenshot(page, f"home-phone-{language}")
        context.close()


def test_print_stylesheet_hides_navigation(page: Page, live_server, site):
    page.goto(live_server.url + "/")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Language")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
