"""Every public page and every staff page, in English and Arabic, at 360 and 1280 px wide: axe-core
finds no violation of WCAG 2.2 at levels A and AA, and the Nu HTML checker no error.

The pages are listed below, each with the named route it shows; ``EXCLUDED`` lists the routes that
answer no page (JSON, files, images, feeds, redirects, POST-only actions), each with its reason.
``test_every_route_is_checked_or_excluded`` walks the URL configuration, so a route added without
a line here fails the suite. Pages a form's POST answers (a form sent back with errors, a preview,
new backup codes) are visited by sending the form, as a person would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import translation

from undersigned.core.tests.accessibility import (
    FAULTY_PAGE,
    axe_script,
    axe_version,
    axe_violations,
    describe_violation,
    named_routes,
    vnu_errors,
    vnu_version,
)
from undersigned.core.tests.accessibility_world import World, build_world

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Response

LANGUAGES = ("en", "ar")
VIEWPORTS = ({"width": 1280, "height": 900}, {"width": 360, "height": 800})


@dataclass(frozen=True)
class Visit:
    """One page: where it is, what it takes to show it, and who looks at it.

    ``route`` is the named route the address resolves to (checked), ``act`` sends a form after the
    page is open (the page checked is then the answer), ``served`` makes a page the browser cannot
    be led to (an error page) through Django's test client, and ``who`` is the visitor: anyone,
    a staff member still without a second factor, or a signed-in staff member."""

    label: str
    route: str | None
    path: Callable[[World], str] | None = None
    act: Callable[[Page, World, Any], None] | None = None
    served: Callable[[World, str], tuple[int, str]] | None = None
    who: str = "anyone"
    # A route whose page is only the answer to a POST (``act`` sends it).
    answers: str | None = None


def _submit_without_script(page: Page, form: str) -> None:
    """Sends ``form`` as a browser without JavaScript does (the page's script would otherwise send
    it in the background), without the browser's own checks of the fields."""
    with page.expect_navigation():
        page.eval_on_selector(form, "form => { form.noValidate = true; HTMLFormElement.prototype.submit.call(form); }")


def sign_with_empty_form(page: Page, world: World, clock: Any) -> None:
    clock.let_fill_time_pass()
    _submit_without_script(page, "form[data-sign-form]")


def sign_with_filled_form(page: Page, world: World, clock: Any) -> None:
    page.locator("#id_name").fill("Lina Haddad")
    page.locator("#id_email").fill(f"lina.{time.monotonic_ns()}@example.org")
    page.locator("#id_country").select_option("LB")
    clock.let_fill_time_pass()
    _submit_without_script(page, "form[data-sign-form]")


def send_empty_main_form(page: Page, world: World, clock: Any) -> None:
    clock.let_fill_time_pass()
    _submit_without_script(page, "main form[method=post]:not(.inline-form)")


def reject_without_reason(page: Page, world: World, clock: Any) -> None:
    """The review queue with its message: an action chosen, rejected with no reason given."""
    page.locator("main input[name=chosen]").first.check()
    click_and_wait(page, "main button[name=action][value=reject]")


def member_signs_in(page: Page, world: World, clock: Any) -> None:
    if urlsplit(page.url).path != "/organisations/members/":
        page.goto(f"/organisations/members/sign-in/{world.member_sign_in_token}/")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/organisations/members/")


def click_and_wait(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def ask_for_member_link(page: Page, world: World, clock: Any) -> None:
    page.locator("input[name=email]").fill("contact@reading-room.example")
    clock.let_fill_time_pass()
    click_and_wait(page, "main form button[type=submit]")


def ask_for_data_link(page: Page, world: World, clock: Any) -> None:
    page.locator("input[name=email]").fill("reader@example.org")
    clock.let_fill_time_pass()
    click_and_wait(page, "main form button[type=submit]")


def ask_to_withdraw(page: Page, world: World, clock: Any) -> None:
    click_and_wait(page, "form[action$='/withdraw/'] button[type=submit]")


def erase_without_ticking(page: Page, world: World, clock: Any) -> None:
    click_and_wait(page, "form[action$='/erase/'] button[type=submit]")


def confirm_or_withdraw(page: Page, world: World, clock: Any) -> None:
    """Sends the page's one form: a second visit finds the answer already given."""
    if page.locator("main form button[type=submit]").count():
        click_and_wait(page, "main form button[type=submit]")


def new_backup_codes(page: Page, world: World, clock: Any) -> None:
    page.locator("form[action$='/security/backup-codes/'] button").click()
    page.wait_for_load_state()
    assert page.locator("ol.backup-codes, ul.backup-codes").count() == 1


def new_api_token(page: Page, world: World, clock: Any) -> None:
    form = page.locator("form[action$='/security/tokens/']")
    form.locator("input[type=text]").first.fill("Press office script")
    form.locator("input[type=checkbox]").first.check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def read_a_press_release(page: Page, world: World, clock: Any) -> None:
    from undersigned.statements.tests.conftest import PRESS_RELEASE

    page.locator("textarea").first.fill(PRESS_RELEASE)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def preview_the_delivery(page: Page, world: World, clock: Any) -> None:
    form = page.locator("form[action$='/delivery/preview/']")
    form.locator("textarea").fill("Dear Minister,\n\nHere is our statement and its signatories.")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _client(language: str, **options: Any) -> Client:
    client = Client(**options)
    client.cookies["language"] = language
    return client


def bad_request(world: World, language: str) -> tuple[int, str]:
    response = _client(language).get("/", headers={"host": "elsewhere.example"})
    return response.status_code, response.content.decode()


def not_allowed(world: World, language: str) -> tuple[int, str]:
    from undersigned.accounts.models import User
    from undersigned.testing import staff_login

    client = _client(language)
    staff_login(client, User.objects.get(email="editor@example.org"))
    response = client.get("/staff/federation/")
    return response.status_code, response.content.decode()


def form_expired(world: World, language: str) -> tuple[int, str]:
    response = _client(language, enforce_csrf_checks=True).post("/accounts/sign-in/", {})
    return response.status_code, response.content.decode()


def sent_from_another_site(world: World, language: str) -> tuple[int, str]:
    response = _client(language).post(
        f"/statements/{world.slug}/sign/", {}, headers={"origin": "https://elsewhere.example"}
    )
    return response.status_code, response.content.decode()


def server_error(world: World, language: str) -> tuple[int, str]:
    from undersigned.federation.views import server_error as view

    with translation.override(language):
        response = view(RequestFactory().get("/"))
    return response.status_code, response.content.decode()


VISITS: list[Visit] = [
    # --- Anyone ---------------------------------------------------------------------------------
    Visit("home", "federation:home", lambda w: "/"),
    Visit("statements", "statements:index", lambda w: "/statements/"),
    Visit("statement", "statements:read", lambda w: f"/statements/{w.slug}/"),
    Visit("statement in French", "statements:read_in", lambda w: f"/statements/{w.slug}/fr/"),
    Visit("closed statement", "statements:read", lambda w: f"/statements/{w.closed_slug}/"),
    Visit("revision history", "statements:history", lambda w: f"/statements/{w.slug}/en/history/"),
    Visit("revision", "statements:revision", lambda w: f"/statements/{w.slug}/en/history/2/"),
    Visit("embed", "statements:embed", lambda w: f"/statements/{w.slug}/embed/"),
    Visit("embed in Arabic", "statements:embed_in", lambda w: f"/statements/{w.slug}/ar/embed/"),
    Visit("signatories", "signatures:list", lambda w: f"/statements/{w.slug}/signatures/"),
    Visit(
        "sign form sent empty",
        None,
        lambda w: f"/statements/{w.slug}/",
        act=sign_with_empty_form,
        answers="signatures:sign",
    ),
    Visit("sign form sent", None, lambda w: f"/statements/{w.slug}/", act=sign_with_filled_form),
    Visit("confirm a signature", "signatures:confirm", lambda w: f"/signatures/confirm/{w.signature_confirm_token}/"),
    Visit("thanks", "signatures:thanks", lambda w: f"/signatures/thanks/{w.signature_withdraw_token}/"),
    Visit(
        "withdraw a signature", "signatures:withdraw", lambda w: f"/signatures/withdraw/{w.signature_withdraw_token}/"
    ),
    Visit(
        "confirmation refused",
        None,
        lambda w: f"/signatures/confirm/{w.withdrawn_signature_confirm_token}/",
        act=confirm_or_withdraw,
    ),
    Visit(
        "signature withdrawn",
        None,
        lambda w: f"/signatures/withdraw/{w.second_signature_withdraw_token}/",
        act=confirm_or_withdraw,
    ),
    Visit("broken link", None, lambda w: "/signatures/confirm/cut-short-by-a-mail-program/"),
    Visit("PDF being prepared", "exports:pdf", lambda w: f"/statements/{w.slug}/signed-statement.pdf"),
    Visit("organisation sign-on", "organisations:sign_on", lambda w: f"/statements/{w.slug}/sign-on/"),
    Visit("sign-on sent empty", None, lambda w: f"/statements/{w.slug}/sign-on/", act=send_empty_main_form),
    Visit("confirm a sign-on", "organisations:confirm", lambda w: f"/sign-ons/confirm/{w.sign_on_confirm_token}/"),
    Visit("withdraw a sign-on", "organisations:withdraw", lambda w: f"/sign-ons/withdraw/{w.sign_on_withdraw_token}/"),
    Visit("member directory", "organisations:directory", lambda w: "/organisations/"),
    Visit("member sign-in", "organisations:member_sign_in", lambda w: "/organisations/members/sign-in/"),
    Visit("member sign-in sent", None, lambda w: "/organisations/members/sign-in/", act=ask_for_member_link),
    Visit(
        "member sign-in link",
        "organisations:member_sign_in_link",
        lambda w: f"/organisations/members/sign-in/{w.member_sign_in_token}/",
    ),
    Visit("transparency", "ledger:transparency", lambda w: f"/statements/{w.slug}/transparency/"),
    Visit("your data", "privacy:request", lambda w: "/your-data/"),
    Visit("your data sent empty", None, lambda w: "/your-data/", act=send_empty_main_form),
    Visit("your data sent", None, lambda w: "/your-data/", act=ask_for_data_link),
    Visit("your records", "privacy:records", lambda w: f"/your-data/{w.data_token}/"),
    Visit(
        "withdrawal asked",
        None,
        lambda w: f"/your-data/{w.data_token}/",
        act=ask_to_withdraw,
        answers="privacy:withdraw",
    ),
    Visit(
        "erasure sent unticked",
        None,
        lambda w: f"/your-data/{w.data_token}/",
        act=erase_without_ticking,
        answers="privacy:erase",
    ),
    Visit("API documentation", "api_documentation", lambda w: "/api/v1/docs/"),
    Visit("staff sign-in", "accounts:sign_in", lambda w: "/accounts/sign-in/"),
    Visit("staff sign-in sent empty", None, lambda w: "/accounts/sign-in/", act=send_empty_main_form),
    Visit("password reset", "accounts:password_reset", lambda w: "/accounts/password-reset/"),
    Visit("password reset sent", "accounts:password_reset_sent", lambda w: "/accounts/password-reset/sent/"),
    Visit("new password", "accounts:password_reset_confirm", lambda w: w.password_reset_path),
    Visit("password reset done", "accounts:password_reset_complete", lambda w: "/accounts/password-reset/done/"),
    Visit("not found (404)", None, lambda w: "/no-such-page/"),
    Visit("bad request (400)", None, served=bad_request),
    Visit("not allowed (403)", None, served=not_allowed),
    Visit("form expired (403)", None, served=form_expired),
    Visit("sent from another site (403)", None, served=sent_from_another_site),
    Visit("server error (500)", None, served=server_error),
    Visit("busy (nginx)", None, lambda w: "/static/errors/busy.html"),
    Visit("solidarity actions", "actions:list", lambda w: f"/statements/{w.slug}/actions/"),
    Visit("report an action, not signed in", "actions:report", lambda w: f"/statements/{w.slug}/actions/report/"),
    Visit(
        "report an action, another organisation",
        "actions:report_open",
        lambda w: f"/statements/{w.slug}/actions/report/organisation/",
    ),
    Visit(
        "report an action, another organisation, sent empty",
        None,
        lambda w: f"/statements/{w.slug}/actions/report/organisation/",
        act=send_empty_main_form,
    ),
    Visit("confirm a report of an action", "actions:confirm", lambda w: f"/actions/confirm/{w.action_confirm_token}/"),
    Visit(
        "report of an action confirmed",
        None,
        lambda w: f"/actions/confirm/{w.action_confirm_token}/",
        act=confirm_or_withdraw,
    ),
    Visit("withdraw an action", "actions:withdraw", lambda w: f"/actions/withdraw/{w.action_withdraw_token}/"),
    Visit(
        "offer a translation, not signed in",
        "statements:translation_offer",
        lambda w: f"/statements/{w.slug}/translations/offer/",
    ),
    Visit("member's page", "organisations:member_home", lambda w: "/organisations/members/", act=member_signs_in),
    # Signed in as a member contact by the visit before.
    Visit("report an action", "actions:report", lambda w: f"/statements/{w.slug}/actions/report/"),
    Visit("member's actions", "actions:member_actions", lambda w: "/organisations/members/actions/"),
    Visit(
        "report an action sent empty",
        None,
        lambda w: f"/statements/{w.slug}/actions/report/",
        act=send_empty_main_form,
    ),
    Visit("offer a translation", "statements:translation_offer", lambda w: f"/statements/{w.slug}/translations/offer/"),
    Visit(
        "offer a translation sent empty",
        None,
        lambda w: f"/statements/{w.slug}/translations/offer/",
        act=send_empty_main_form,
    ),
    # --- A staff member setting up a second factor ------------------------------------------------
    Visit(
        "second factor set-up",
        "accounts:second_factor_setup",
        lambda w: "/accounts/second-factor/set-up/",
        who="enrolling",
    ),
    Visit("second factor set-up link", "accounts:second_factor_enrol", lambda w: _enrolment_path(w), who="enrolling"),
    # --- Signed-in staff -------------------------------------------------------------------------
    Visit("staff workspace", "staff:dashboard", lambda w: "/staff/", who="staff"),
    Visit("second factor", "accounts:second_factor", lambda w: "/accounts/second-factor/?again=1", who="staff"),
    Visit("security", "accounts:security", lambda w: "/accounts/security/", who="staff"),
    Visit(
        "new backup codes",
        None,
        lambda w: "/accounts/security/",
        act=new_backup_codes,
        answers="accounts:backup_codes",
        who="staff",
    ),
    Visit(
        "new API token",
        None,
        lambda w: "/accounts/security/",
        act=new_api_token,
        answers="accounts:token_new",
        who="staff",
    ),
    Visit("change password", "accounts:password_change", lambda w: "/accounts/password/", who="staff"),
    Visit("federation", "staff:federation", lambda w: "/staff/federation/", who="staff"),
    Visit("commissions", "staff:commission_list", lambda w: "/staff/commissions/", who="staff"),
    Visit("new commission", "staff:commission_new", lambda w: "/staff/commissions/new/", who="staff"),
    Visit("commission", "staff:commission_edit", lambda w: "/staff/commissions/public-libraries/", who="staff"),
    Visit("staff statements", "staff:statement_list", lambda w: "/staff/statements/", who="staff"),
    Visit("new statement", "staff:statement_new", lambda w: "/staff/statements/new/", who="staff"),
    Visit("new statement sent empty", None, lambda w: "/staff/statements/new/", act=send_empty_main_form, who="staff"),
    Visit("press release read", None, lambda w: "/staff/statements/new/", act=read_a_press_release, who="staff"),
    Visit("statement overview", "staff:statement", lambda w: f"/staff/statements/{w.slug}/", who="staff"),
    Visit(
        "new translation",
        "staff:translation_new",
        lambda w: f"/staff/statements/{w.slug}/translations/new/?language=de",
        who="staff",
    ),
    Visit("text", "staff:statement_text", lambda w: f"/staff/statements/{w.slug}/texts/fr/", who="staff"),
    Visit("sign-on queue", "staff:sign_on_queue", lambda w: "/staff/sign-ons/", who="staff"),
    Visit("action queue", "staff:action_queue", lambda w: "/staff/actions/", who="staff"),
    Visit(
        "action rejected without a reason", None, lambda w: "/staff/actions/", act=reject_without_reason, who="staff"
    ),
    Visit("signature queue", "staff:signature_queue", lambda w: f"/staff/statements/{w.slug}/signatures/", who="staff"),
    Visit("sealed export", "staff:sealed_export", lambda w: f"/staff/statements/{w.slug}/export/", who="staff"),
    Visit(
        "retention", "staff:statement_retention", lambda w: f"/staff/statements/{w.closed_slug}/retention/", who="staff"
    ),
    Visit("organisations", "staff:organisation_list", lambda w: "/staff/organisations/", who="staff"),
    Visit("new organisation", "staff:organisation_new", lambda w: "/staff/organisations/new/", who="staff"),
    Visit("organisation types", "staff:organisation_types", lambda w: "/staff/organisations/types/", who="staff"),
    Visit(
        "organisation", "staff:organisation_edit", lambda w: f"/staff/organisations/{w.organisation_pk}/", who="staff"
    ),
    Visit("transparency log and witnesses", "staff:log", lambda w: "/staff/log/", who="staff"),
    Visit("delivery", "staff:delivery", lambda w: f"/staff/statements/{w.slug}/delivery/", who="staff"),
    Visit(
        "delivery target",
        "staff:delivery_target_edit",
        lambda w: f"/staff/statements/{w.slug}/delivery/targets/{w.target_pk}/",
        who="staff",
    ),
    Visit(
        "delivery preview",
        None,
        lambda w: f"/staff/statements/{w.slug}/delivery/",
        act=preview_the_delivery,
        answers="staff:delivery_preview",
        who="staff",
    ),
]


def _enrolment_path(world: World) -> str:
    """A new set-up link each time: a link works once."""
    from undersigned.accounts.enrolment import ENROLMENT_LINK
    from undersigned.accounts.models import User
    from undersigned.core.links import make_link

    user_id = User.objects.get(email=world.enrolling_email).pk
    return f"/accounts/second-factor/set-up/{make_link(ENROLMENT_LINK, user_id)}/"


POST_ONLY = "POST only: answers a form with a redirect to a page checked here"
EXCLUDED: dict[str, str] = {
    "federation:switch_language": "a redirect that sets the language cookie",
    "statements:badge_svg": "an image",
    "statements:badge_svg_in": "an image",
    "statements:share_image": "an image (the share card, a PNG)",
    "statements:badge_html": "a fragment of HTML for member sites to put in their own pages, not a document",
    "statements:badge_html_in": "a fragment of HTML for member sites to put in their own pages, not a document",
    "statements:revision_canonical": "JSON",
    "statements:feed": "an Atom feed",
    "actions:feed": "an Atom feed",
    "actions:body_feed": "an Atom feed",
    "signatures:challenge": "JSON (the proof-of-work challenge)",
    "organisations:logo": "an image",
    "actions:photo": "an image (a photo of an action)",
    "organisations:member_sign_out": POST_ONLY,
    "actions:member_action_withdraw": POST_ONLY,
    "ledger:head": "JSON",
    "ledger:export": "a download (JSON lines)",
    "ledger:script": "a download (Python)",
    "ledger:log_checkpoint": "plain text (the site log's signed checkpoint)",
    "ledger:log_tile": "binary data (the site log's tiles and entry bundles)",
    "signatures:receipt": "a download (a receipt from the log, C2SP tlog-proof)",
    "privacy:receipt": "a download (a receipt from the log, C2SP tlog-proof)",
    "exports:csv": "a download (CSV)",
    "exports:json": "a download (JSON)",
    "privacy:download": "a download (JSON)",
    "privacy:stop_updates": "POST only: its answer is the records page with a notice, checked here",
    "notifications:outbox": "a developer's mail outbox: answers 404 unless DEBUG with the outbox mail backend",
    "notifications:outbox_message": "a developer's mail outbox: answers 404 unless DEBUG with the outbox mail backend",
    "accounts:sign_out": POST_ONLY,
    "accounts:end_sessions": POST_ONLY,
    "accounts:token_revoke": POST_ONLY,
    "staff:statement_action": POST_ONLY,
    "staff:statement_milestones": POST_ONLY,
    "staff:log_witness": POST_ONLY,
    "staff:log_send": POST_ONLY,
    "staff:organisation_contact_add": POST_ONLY,
    "staff:organisation_contact_remove": POST_ONLY,
    "staff:delivery_target_add": POST_ONLY,
    "staff:delivery_target_remove": POST_ONLY,
    "staff:delivery_confirm": POST_ONLY,
    "staff:delivery_retry": POST_ONLY,
    "staff:delivery_response_add": POST_ONLY,
}
# Whole namespaces that are not pages of ours.
EXCLUDED_NAMESPACES: dict[str, str] = {
    "api": "the JSON API (its documentation page is checked)",
    "admin": "Django's own admin, with Django's templates; staff work in the staff workspace",
}


# Page templates that no visit above shows, each with its reason.
TEMPLATES_NOT_SHOWN: dict[str, str] = {
    "base.html": "the layout every page extends",
    "exports/signed_statement.html": "the PDF's source, laid out by WeasyPrint, not served as a page",
    "notifications/outbox.html": "a developer's mail outbox (see EXCLUDED)",
    "notifications/outbox_message.html": "a developer's mail outbox (see EXCLUDED)",
}


def page_templates() -> set[str]:
    """The names of the site's templates that are whole pages: they extend a layout or start a
    document. Mail bodies (emails/) are not pages."""
    from undersigned.testing import ROOT

    folders = [ROOT / "templates", *sorted((ROOT / "undersigned").glob("*/templates"))]
    names = set()
    for folder in folders:
        for path in folder.rglob("*.html"):
            name = path.relative_to(folder).as_posix()
            text = path.read_text(encoding="utf-8")[:2000].lower()
            if not name.startswith("emails/") and ("{% extends" in text or "<!doctype html>" in text):
                names.add(name)
    return names


def test_every_route_is_checked_or_excluded():
    checked = {name for visit in VISITS for name in (visit.route, visit.answers) if name}
    routes = {name for name in named_routes() if name.split(":")[0] not in EXCLUDED_NAMESPACES}
    forgotten = sorted(routes - checked - set(EXCLUDED))
    assert not forgotten, f"routes neither checked for accessibility nor excluded with a reason: {forgotten}"
    stale = sorted((set(EXCLUDED) | checked) - routes)
    assert not stale, f"routes listed here that the URL configuration no longer has: {stale}"
    assert not (set(EXCLUDED) & checked), "a route is both checked and excluded"
    assert set(TEMPLATES_NOT_SHOWN) <= page_templates(), "a template listed as not shown no longer exists"


class DocumentRecorder:
    """The last document the page's main frame received: its HTML as the server sent it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.last: Response | None = None
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        if response.request.is_navigation_request() and response.frame == self.page.main_frame:
            self.last = response


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_passes_axe_and_the_html_checker(browser, live_server, form_clock, capsys, monkeypatch):
    # The signed statement's PDF is built in the background, as for a statement with many names:
    # the page that says so is one of the pages checked.
    monkeypatch.setattr("undersigned.exports.services.INLINE_BUILD_NAMES", -1)
    started = time.monotonic()
    world = build_world()
    spent = {"world": time.monotonic() - started, "pages": 0.0, "axe": 0.0, "Nu": 0.0}
    base = live_server.url
    script = axe_script()
    context: BrowserContext = browser.new_context(base_url=base, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    recorder = DocumentRecorder(page)
    served: dict[str, tuple[int, str]] = {}
    page.route(
        "**/checked-error-page/**",
        lambda route: route.fulfill(
            status=served[urlsplit(route.request.url).path][0],
            content_type="text/html; charset=utf-8",
            body=served[urlsplit(route.request.url).path][1],
        ),
    )

    from django.test.signals import template_rendered

    rendered: set[str] = set()

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.add(str(template.name))

    template_rendered.connect(seen)
    page.goto("/")
    page.set_content(FAULTY_PAGE)
    assert {violation["id"] for violation in axe_violations(page, script)} >= {"image-alt", "html-has-lang"}
    documents: dict[str, str] = {"faulty page": FAULTY_PAGE}
    problems: list[str] = []
    checks = 0
    who_now = "anyone"
    for visit in VISITS:
        if visit.who != who_now:
            context.clear_cookies()
            _sign_in(page, world, visit.who)
            who_now = visit.who
        for language in LANGUAGES:
            began = time.monotonic()
            context.add_cookies([{"name": "language", "value": language, "url": base}])
            page.set_viewport_size(VIEWPORTS[0])
            recorder.last = None
            if visit.served is not None:
                path = f"/checked-error-page/{len(served)}/"
                served[path] = visit.served(world, language)
                page.goto(path)
            else:
                assert visit.path is not None
                path = visit.path(world)
                if visit.route is not None:
                    assert resolve(urlsplit(path).path).view_name == visit.route, visit.label
                page.goto(path)
            if visit.act is not None:
                visit.act(page, world, form_clock)
            page.wait_for_load_state()
            name = f"{visit.label} [{language}]"
            assert recorder.last is not None, name
            documents[name] = recorder.last.text()
            spent["pages"] += time.monotonic() - began
            began = time.monotonic()
            for viewport in VIEWPORTS:
                page.set_viewport_size(viewport)
                checks += 1
                for violation in axe_violations(page, script):
                    problems.append(f"axe: {name} at {viewport['width']}px: {describe_violation(violation)}")
            spent["axe"] += time.monotonic() - began
    began = time.monotonic()
    errors_by_document = vnu_errors(documents)
    assert any("“img” element must have an “alt” attribute" in error for error in errors_by_document.pop("faulty page"))
    for name, errors in errors_by_document.items():
        problems.extend(f"Nu HTML checker: {name}: {error}" for error in errors)
    spent["Nu"] = time.monotonic() - began
    template_rendered.disconnect(seen)

    unchecked = sorted(page_templates() - rendered - set(TEMPLATES_NOT_SHOWN))
    problems.extend(f"a page template no visit showed: {name}" for name in unchecked)
    context.close()
    timings = ", ".join(f"{part} {seconds:.0f} s" for part, seconds in spent.items())
    with capsys.disabled():  # the summary shows in a passing run too
        print(  # noqa: T201
            f"\naccessibility: {len(VISITS)} pages × {len(LANGUAGES)} languages × {len(VIEWPORTS)} widths = "
            f"{checks} axe runs (axe-core {axe_version(script)}: WCAG 2.2 A and AA, best practices); "
            f"{len(documents) - 1} documents through the Nu HTML checker {vnu_version()}; "
            f"{time.monotonic() - started:.0f} s ({timings})"
        )
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def _sign_in(page: Page, world: World, who: str) -> None:
    from undersigned.accounts.tests.browser import unused_code

    if who == "anyone":
        return
    email, password = (
        (world.enrolling_email, world.enrolling_password)
        if who == "enrolling"
        else (world.staff_email, world.staff_password)
    )
    page.goto("/accounts/sign-in/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if who == "staff":
        page.locator("input[name=code]").fill(unused_code(email, world.staff_authenticator_key))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/staff/")
