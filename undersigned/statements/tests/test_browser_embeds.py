"""A member's site with the embedded sign form and the count badge, in Chromium: the host page is
served from another loopback origin, as a member organisation's site would be."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from undersigned.statements.tests.builders import published_statement
from undersigned.testing import secretariat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "library-opening-hours"


@contextmanager
def member_site(body: Callable[[], str]) -> Iterator[str]:
    """A member organisation's page, served by a plain HTTP server on 127.0.0.1 (the live server is
    on localhost, on another port): another origin, as the browser sees it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            payload = body().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def host_page(base: str, language: str) -> str:
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reading Room: our campaigns</title></head>
<body style="margin:0;padding:16px;font-family:sans-serif;background:#f6f1e7">
<h1 style="font-size:20px">Reading Room supports this statement</h1>
<p><a href="{base}/statements/{SLUG}/{language}/"><img id="badge" src="{base}/statements/{SLUG}/{language}/badge.svg"
 alt="Statement on Library Opening Hours: the number of confirmed signatures" width="360" height="72"></a></p>
<iframe src="{base}/statements/{SLUG}/{language}/embed/" title="Sign the statement" width="100%" height="1400"
 loading="lazy" style="border:0;max-width:40rem;background:#fff"></iframe>
</body></html>"""


def badge_count(page: Page, host: str) -> str:
    """Opens the host page and returns the count its badge image showed."""
    with page.expect_response(lambda response: response.url.endswith("/badge.svg")) as badge:
        page.goto(host)
    svg = badge.value.text()
    return svg.split('fill="#0b5cad">', 1)[1].split("</tspan>", 1)[0]


def fresh_page(browser: Browser, **options: object) -> Page:
    context = browser.new_context(locale="en-GB", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_visitor_signs_in_the_frame_on_a_member_site_confirms_and_the_badge_counts_them(
    browser: Browser, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    published_statement(libraries, translations=("ar",))
    assert urlsplit(live_server.url).hostname == "localhost"
    with member_site(lambda: host_page(live_server.url, "en")) as host:
        page = fresh_page(browser, viewport={"width": 1000, "height": 1500})
        assert badge_count(page, host) == "0"
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", level=1)).to_have_text("Statement on Library Opening Hours")
        screenshot(page, "embed-on-member-site")

        frame.locator("#id_name").fill("Ana Pérez")
        frame.locator("#id_email").fill("ana@example.org")
        frame.locator("#id_country").select_option("ES")
        form_clock.let_fill_time_pass()
        frame.locator("form[data-sign-form] button[type=submit]").click()
        expect(frame.locator(".sign-box--done")).to_be_visible()
        expect(frame.get_by_role("heading", name="Check your email")).to_be_visible()
        assert page.url == host  # the host page never saw the form's data: it stayed where it was
        screenshot(page, "embed-check-your-email")

        run_tasks()
        assert len(smtp_server.messages) == 1
        confirm = next(link for link in smtp_server.links_in(smtp_server.messages[0]) if "/signatures/confirm/" in link)
        signer = fresh_page(browser)
        signer.goto(live_server.url + urlsplit(confirm).path)
        signer.get_by_role("button", name="Confirm my signature").click()
        expect(signer.locator(".tally-line")).to_have_text("1 person has signed.")
        signer.context.close()

        # The host page again, without the image its cache holds for a few seconds.
        page.context.close()
        page = fresh_page(browser, viewport={"width": 1000, "height": 1500})
        assert badge_count(page, host) == "1"
        expect(page.frame_locator("iframe").locator(".tally__number")).to_have_text("1")
        page.context.close()


def test_without_javascript_the_frame_posts_and_answers_inside_itself(
    browser: Browser, form_clock, live_server, libraries, smtp_server, run_tasks
):
    published_statement(libraries, translations=())
    with member_site(lambda: host_page(live_server.url, "en")) as host:
        page = fresh_page(browser, java_script_enabled=False)
        page.goto(host)
        frame = page.frame_locator("iframe")
        frame.locator("#id_name").fill("Cy Chen")
        frame.locator("#id_email").fill("cy@example.org")
        frame.locator("#id_country").select_option("FR")
        form_clock.let_fill_time_pass()
        frame.locator("form[data-sign-form] button[type=submit]").click()
        expect(frame.get_by_role("heading", name="Check your email")).to_be_visible()
        assert page.url == host
        run_tasks()
        assert len(smtp_server.messages) == 1
        page.context.close()


def test_the_arabic_embed_and_a_narrow_frame(browser: Browser, live_server, libraries, screenshot):
    published_statement(libraries, translations=("ar",))
    with member_site(lambda: host_page(live_server.url, "ar")) as host:
        page = fresh_page(browser, viewport={"width": 1000, "height": 1500})
        page.goto(host)
        frame = page.frame_locator("iframe")
        expect(frame.locator("html")).to_have_attribute("dir", "rtl")
        expect(frame.get_by_role("heading", level=1)).to_have_text("بيان بشأن ساعات عمل المكتبات العامة")
        screenshot(page, "embed-on-member-site-ar")
        page.context.close()

        narrow = fresh_page(browser, viewport={"width": 320, "height": 700})
        narrow.goto(live_server.url + f"/statements/{SLUG}/en/embed/")
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, "the embed scrolls sideways at 320px"
        screenshot(narrow, "embed-320px")
        narrow.context.close()

    badges = "".join(
        f'<p><img src="{live_server.url}/statements/{SLUG}/{language}/badge.svg" alt="" width="360" height="72"></p>'
        for language in ("en", "ar")
    )
    with member_site(lambda: f"<!doctype html><body style='background:#f6f1e7'>{badges}</body>") as badge_host:
        page = fresh_page(browser, viewport={"width": 420, "height": 220})
        page.goto(badge_host)
        expect(page.locator("img").last).to_have_js_property("complete", True)
        assert page.locator("img").last.evaluate("image => image.naturalWidth") == 360
        screenshot(page, "badges-en-ar")
        page.context.close()


def test_a_site_off_the_list_cannot_frame_the_embed(browser: Browser, live_server, libraries):
    from undersigned.federation.selectors import LocalisedText
    from undersigned.federation.services import federation_update

    published_statement(libraries, translations=())
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="")},
        embed_origins=["https://member.example.org"],
    )
    with member_site(lambda: host_page(live_server.url, "en")) as host:
        page = fresh_page(browser)
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(host)
        page.wait_for_timeout(1000)
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", level=1)).to_have_count(0)
        assert any("frame-ancestors" in text for text in blocked)
        # The badge is an image: any site shows it.
        assert page.locator("#badge").evaluate("image => image.naturalWidth") == 360
        page.context.close()


def test_the_staff_page_shows_the_snippets(page: Page, live_server, libraries, screenshot):
    from undersigned.accounts.tests.browser import sign_in

    published_statement(libraries, translations=("ar",))
    sign_in(page, live_server.url, secretariat().email)
    page.goto(live_server.url + f"/staff/statements/{SLUG}/")
    section = page.locator("#embeds")
    expect(section.get_by_label("Sign form, in a frame").first).to_contain_text(f"/statements/{SLUG}/en/embed/")
    assert section.locator("img").first.evaluate("image => image.naturalWidth") == 360
    section.scroll_into_view_if_needed()
    screenshot(page, "staff-embed-snippets")

    page.get_by_role("link", name="Which sites may show the sign form").click()
    page.get_by_label("Sites that may embed the sign form").fill("https://member.example.org\nmember.example.org/news")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field__error")).to_contain_text("“member.example.org/news” is not a site address")
    page.get_by_label("Sites that may embed the sign form").scroll_into_view_if_needed()
    screenshot(page, "staff-embed-origins-error")


def test_the_proof_of_work_runs_inside_the_frame_where_the_statement_asks_for_it(
    browser: Browser, form_clock, live_server, libraries, smtp_server, run_tasks
):
    from undersigned.signatures.models import Signature
    from undersigned.statements.services import statement_require_proof_of_work

    statement = published_statement(libraries, translations=())
    statement_require_proof_of_work(actor=None, statement=statement, required=True)
    with member_site(lambda: host_page(live_server.url, "en")) as host:
        page = fresh_page(browser)
        page.goto(host)
        frame = page.frame_locator("iframe")
        frame.locator("#id_name").fill("Di Dube")
        frame.locator("#id_email").fill("di@example.org")
        frame.locator("#id_country").select_option("ZA")
        form_clock.let_fill_time_pass()
        frame.locator("form[data-sign-form] button[type=submit]").click()
        expect(frame.get_by_role("heading", name="Check your email")).to_be_visible(timeout=20_000)
        run_tasks()
        assert len(smtp_server.messages) == 1
        assert Signature.objects.get().proof_of_work is True
        page.context.close()
