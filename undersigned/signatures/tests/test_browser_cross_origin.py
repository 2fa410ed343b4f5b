"""In Chromium: the sign form carries no CSRF token, a page on another site that posts to it is
refused by what the browser says about the request, and the site's own form still signs."""

from __future__ import annotations

from html import escape

import pytest
from playwright.sync_api import Browser, Page, expect

from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.test_browser_embeds import member_site
from undersigned.testing import drawn_form_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "library-opening-hours"


def fresh_page(browser: Browser) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def forging_page(action: str, revision_id: int) -> str:
    """Another site's page that posts a complete, well-timed sign form to us as soon as it opens."""
    fields = {
        "name": "Mallory Forger",
        "email": "victim@example.org",
        "country": "FR",
        "name_shown": "full",
        "revision": str(revision_id),
        "started": drawn_form_token(SIGN_FORM_TIMER, 60),
        "website": "",
    }
    inputs = "".join(f'<input type="hidden" name="{name}" value="{escape(value)}">' for name, value in fields.items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Win a prize</title></head>
<body><form method="post" action="{escape(action)}">{inputs}</form>
<script>document.forms[0].submit()</script></body></html>"""


def test_a_page_on_another_site_that_posts_the_sign_form_is_refused(browser: Browser, live_server, libraries):
    statement = published_statement(libraries, translations=())
    revision_id = statement.texts.get(language="en").published_revision_id
    assert revision_id is not None
    action = f"{live_server.url}/statements/{SLUG}/sign/"
    with member_site(lambda: forging_page(action, revision_id)) as other_site:
        page = fresh_page(browser)
        with page.expect_response(lambda response: response.url == action) as answered:
            page.goto(other_site)
        response = answered.value
        assert response.status == 403
        assert response.request.header_value("sec-fetch-site") == "cross-site"
        expect(page.get_by_role("heading", level=1)).to_have_text("Sent from another site")
        page.context.close()
    assert not Signature.objects.exists()


def test_the_sites_own_form_signs_without_a_csrf_token(
    browser: Browser, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=("ar",))
    page = fresh_page(browser)
    with page.expect_response(lambda response: response.url.endswith(f"/statements/{SLUG}/")) as shown:
        page.goto(f"{live_server.url}/statements/{SLUG}/")
    headers = shown.value.headers
    assert "set-cookie" not in headers
    assert "public" in headers["cache-control"]
    assert page.locator("input[name=csrfmiddlewaretoken]").count() == 0
    assert page.context.cookies() == []
    expect(page.locator(".tally__freshness")).to_have_text("Count updated every few seconds.")
    screenshot(page, "statement-page-freshness-en")

    page.locator("#id_name").fill("Ana Pérez")
    page.locator("#id_email").fill("ana@example.org")
    page.locator("#id_country").select_option("ES")
    form_clock.let_fill_time_pass()
    with page.expect_response(lambda response: response.url.endswith("/sign/")) as posted:
        page.locator("form[data-sign-form] button[type=submit]").click()
    assert posted.value.status == 200
    assert posted.value.request.header_value("sec-fetch-site") == "same-origin"
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert Signature.objects.count() == 1
    page.context.close()

    arabic = browser.new_context(locale="ar", viewport={"width": 1000, "height": 1200})
    reader = arabic.new_page()
    reader.goto(f"{live_server.url}/statements/{SLUG}/ar/")
    expect(reader.locator("html")).to_have_attribute("dir", "rtl")
    expect(reader.locator(".tally__freshness")).to_be_visible()
    screenshot(reader, "statement-page-freshness-ar")
    arabic.close()


@pytest.mark.parametrize("java_script", [True, False])
def test_the_embed_in_another_sites_frame_posts_as_our_own_origin(
    browser: Browser, form_clock, live_server, libraries, smtp_server, java_script
):
    """The frame's document is ours, so its POST to us is same-origin though the page around it is
    another site's: the cross-origin check lets it through."""
    from undersigned.statements.tests.test_browser_embeds import host_page

    published_statement(libraries, translations=())
    with member_site(lambda: host_page(live_server.url, "en")) as host:
        context = browser.new_context(locale="en-GB", java_script_enabled=java_script)
        page = context.new_page()
        page.goto(host)
        frame = page.frame_locator("iframe")
        frame.locator("#id_name").fill("Cy Chen")
        frame.locator("#id_email").fill("cy@example.org")
        frame.locator("#id_country").select_option("FR")
        form_clock.let_fill_time_pass()
        with page.expect_response(lambda response: response.request.method == "POST") as posted:
            frame.locator("form[data-sign-form] button[type=submit]").click()
        assert posted.value.request.header_value("sec-fetch-site") == "same-origin"
        assert posted.value.status == 200
        expect(frame.get_by_role("heading", name="Check your email")).to_be_visible()
        context.close()
    assert Signature.objects.count() == 1
