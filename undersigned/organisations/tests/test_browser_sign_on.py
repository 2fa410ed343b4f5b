"""PRODUCT.md journey 3 in Chromium: an organisation signs on, its contact confirms from the email,
an editor approves it and it appears under its country; a member's contact endorses another
statement with one click from a sign-in link."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.commissions.models import Commission
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logo_png() -> bytes:
    image = Image.new("RGB", (300, 120), (20, 90, 160))
    for x in range(40, 260):
        for y in range(40, 80):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def link_in_last_mail(smtp_server, run_tasks, part: str) -> str:
    run_tasks()
    links = smtp_server.links_in(smtp_server.messages[-1])
    return urlsplit(next(link for link in links if part in link)).path


def test_an_organisation_signs_on_is_confirmed_approved_and_listed_under_its_country(
    page: Page, form_clock, live_server, libraries, smtp_server, run_tasks, screenshot
):
    editor(libraries)
    target = build_open_statement(libraries)
    base = live_server.url
    page.goto(f"{base}/statements/{target.statement.slug}/")
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
    screenshot(page, "sign-on-form")
    # Submitting without consent is explained next to the box, and keeps what was typed.
    form_clock.let_fill_time_pass()
    page.get_by_role("button", name="Sign on").click()
    expect(page.locator(".field__error")).to_contain_text("Tick this box")
    expect(page.locator("#id_name")).to_have_value("Neighbourhood Readers' Association")
    page.locator("#id_logo").set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()})
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Sign on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(base + link_in_last_mail(smtp_server, run_tasks, "/sign-ons/confirm/"))
    page.get_by_role("button", name="Confirm the sign-on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-on confirmed")

    sign_in(page, base, "eli@example.org")
    page.get_by_role("link", name="Organisations' sign-ons").click()
    expect(page.locator(".review-table")).to_contain_text("Neighbourhood Readers' Association")
    screenshot(page, "sign-on-review-queue")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("1 sign-on approved.")

    page.goto(f"{base}/statements/{target.statement.slug}/")
    section = page.locator("#organisations")
    expect(section.get_by_role("heading", name="Spain (1)")).to_be_visible()
    expect(section).to_contain_text("Neighbourhood Readers' Association")
    expect(section).to_contain_text("Association")
    expect(page.locator(".tally__organisations")).to_have_text("1")
    expect(page.locator("body")).not_to_contain_text("rosa@readers.example.org")
    logo = section.locator("img.sign-on__logo")
    expect(logo).to_have_js_property("naturalWidth", 200)
    section.scroll_into_view_if_needed()
    screenshot(page, "sign-on-public-list")
    run_tasks()
    assert "published" in smtp_server.messages[-1]["Subject"]


def test_a_member_contact_endorses_a_second_statement_with_one_click(
    page: Page, live_server, libraries, smtp_server, run_tasks, screenshot
):
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    build_open_statement(libraries)
    second = build_open_statement(libraries, slug="reading-rooms-open-late")
    member_organisation()
    base = live_server.url
    page.goto(f"{base}/statements/{second.statement.slug}/sign-on/")
    page.get_by_role("link", name="Sign in with your email").click()
    page.get_by_label("Your email address at your organisation").fill("ana@reading-room.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(base + link_in_last_mail(smtp_server, run_tasks, "/sign-in/"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Endorse for your organisation")
    endorse = page.locator("article").filter(has=page.locator(f'a[href*="/{second.statement.slug}/"]'))
    endorse.get_by_role("button", name="Endorse for Friends of the Reading Room").click()
    expect(page.locator(".messages")).to_contain_text("Friends of the Reading Room now endorses this statement.")
    expect(endorse).to_contain_text("endorses this statement")
    screenshot(page, "member-one-click")

    page.goto(f"{base}/statements/{second.statement.slug}/")
    expect(page.locator("#organisations")).to_contain_text("Friends of the Reading Room")
    expect(page.locator("#organisations")).to_contain_text("France (1)")
