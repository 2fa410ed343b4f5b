"""What the public pages look like to a shared cache in front (nginx): nothing per visitor, a short
public lifetime, an ETag; the public forms they carry need no CSRF token and refuse posts another
site started; everything with a session stays private and keeps Django's CSRF check."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from undersigned.core.public_pages import SHARED_CACHE_SECONDS
from undersigned.organisations.tests.conftest import sign_on_data
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tallies import CACHE_SECONDS as TALLY_CACHE_SECONDS
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, form_data
from undersigned.testing import secretariat, staff_login

pytestmark = pytest.mark.django_db

SLUG = "library-opening-hours"
CSRF_FIELD = "csrfmiddlewaretoken"

PUBLIC_PAGES = [
    "/",
    "/statements/",
    f"/statements/{SLUG}/",
    f"/statements/{SLUG}/en/",
    f"/statements/{SLUG}/fr/",
    f"/statements/{SLUG}/signatures/",
    f"/statements/{SLUG}/transparency/",
    f"/statements/{SLUG}/sign-on/",
    f"/statements/{SLUG}/embed/",
    "/organisations/",
    "/your-data/",
    "/organisations/members/sign-in/",
    "/feeds/all/en.atom",
    f"/statements/{SLUG}/en/history/",
]
API_READS = ["/api/v1/statements", f"/api/v1/statements/{SLUG}", f"/api/v1/statements/{SLUG}/counts"]
CROSS_SITE = [
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
    {"origin": "https://evil.example"},
    {"origin": "null"},
    {"origin": "http://[::1"},  # not even a readable address: refused, not a server error
]


@pytest.fixture
def statement(libraries) -> OpenStatement:
    from undersigned.statements.services import TextInput, text_publish, translation_add

    target = build_open_statement(libraries)
    text = translation_add(
        actor=None, statement=target.statement, language="fr", text=TextInput(title="Déclaration", body="Texte.")
    )
    text_publish(actor=None, text=text)
    return target


def assert_shared(response) -> None:
    assert response.status_code == 200, response
    assert "Set-Cookie" not in response.headers and not response.cookies
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "public" in cache_control
    assert f"s-maxage={SHARED_CACHE_SECONDS}" in cache_control
    assert not cache_control & {"private", "no-store", "no-cache"}
    assert response.has_header("ETag")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_public_page_is_the_same_for_every_anonymous_visitor(client, statement, language):
    for path in PUBLIC_PAGES:
        response = client.get(path, headers={"accept-language": language})
        assert_shared(response)
        assert CSRF_FIELD not in response.content.decode(), path
    for path in API_READS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies
        assert "public" in response["Cache-Control"]
        assert "Cookie" not in response.get("Vary", ""), path


def test_feeds_and_the_api_do_not_vary_on_cookies(client, statement):
    assert "Vary" not in client.get("/feeds/all/en.atom")
    assert client.get(f"/api/v1/statements/{SLUG}")["Vary"] == "Accept-Language"


def test_a_cache_revalidates_with_the_etag(client, statement):
    page = client.get("/organisations/")
    again = client.get("/organisations/", headers={"if-none-match": page["ETag"]})
    assert again.status_code == 304
    assert not again.content


def test_the_statement_page_says_how_fresh_its_count_is(client, statement):
    assert "Count updated every few seconds." in client.get(f"/statements/{SLUG}/").content.decode()
    # The page in a shared cache and the count in the application's cache: at most 5 s together.
    assert SHARED_CACHE_SECONDS + TALLY_CACHE_SECONDS <= 5


def test_the_sign_forms_timer_is_the_pages_time_so_a_cached_copy_only_gets_older(client, statement):
    before = int(time.time())
    content = client.get(f"/statements/{SLUG}/").content.decode()
    token = re.search(r'name="started" value="([^"]+)"', content).group(1)
    drawn_at = signing.loads(token, salt=SIGN_FORM_TIMER.salt)
    assert before <= drawn_at <= time.time()
    # Served a few seconds later from a cache and sent at once, it passes the minimum fill time.
    assert SIGN_FORM_TIMER.refusal(started=token, honeypot="") is not None
    # The token is the timer's own, signed for the page's time (its signature's timestamp is the
    # second it was signed in, which a slow page may have crossed: only the value is compared).
    remade = SIGN_FORM_TIMER.started_token(drawn_at=drawn_at)
    assert signing.loads(remade, salt=SIGN_FORM_TIMER.salt) == drawn_at
    assert remade.split(":")[0] == token.split(":")[0]


def test_a_visitor_with_a_session_gets_private_pages_and_the_staff_pages_are_private(statement):
    browser = Client()
    staff_login(browser, secretariat())
    for path in (f"/statements/{SLUG}/", "/staff/", f"/staff/statements/{SLUG}/"):
        response = browser.get(path, follow=True)
        assert response.status_code == 200, path
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, path
        assert "public" not in cache_control


def test_the_language_switch_is_never_shared(client, statement):
    response = client.get(f"/language/fr/?next=/statements/{SLUG}/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def _public_forms(statement: OpenStatement) -> list[tuple[str, dict[str, object]]]:
    return [
        (statement.sign_url, form_data(statement.revision)),
        (f"/statements/{SLUG}/embed/", form_data(statement.revision, email="bea@example.org")),
        (f"/statements/{SLUG}/sign-on/", sign_on_data(statement)),
        ("/your-data/", {"email": "ada@example.org", "started": "x", "website": ""}),
        ("/organisations/members/sign-in/", {"email": "rosa@readers.example.org"}),
    ]


def test_a_post_another_site_started_is_refused_on_every_public_form(statement):
    browser = Client(enforce_csrf_checks=True)
    for path, data in _public_forms(statement):
        for headers in CROSS_SITE:
            response = browser.post(path, data, headers=headers)
            assert response.status_code == 403, (path, headers)
            assert "Sent from another site" in response.content.decode()
            assert "no-store" in response["Cache-Control"]
    assert not Signature.objects.exists()


def test_posts_from_the_site_itself_and_from_programs_are_let_through_without_a_token(statement):
    browser = Client(enforce_csrf_checks=True)
    own = [{"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}, {"origin": "http://testserver"}, {}]
    own.append({"origin": settings.SITE_URL})
    for path, data in _public_forms(statement):
        for headers in own:
            response = browser.post(path, data, headers=headers)
            assert response.status_code != 403, (path, headers)
    assert Signature.objects.filter(statement=statement.statement).exists()


def test_staff_forms_still_need_the_csrf_token(statement):
    browser = Client(enforce_csrf_checks=True)
    staff_login(browser, secretariat())
    path = f"/staff/statements/{SLUG}/actions/"
    refused = browser.post(path, {}, headers={"sec-fetch-site": "same-origin", "origin": "http://testserver"})
    assert refused.status_code == 403
    assert "The form has expired" in refused.content.decode()
    # The staff page that carries the form gives the token, and with it the form goes through.
    page = browser.get(f"/staff/statements/{SLUG}/").content.decode()
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page).group(1)
    accepted = browser.post(path, {CSRF_FIELD: token}, headers={"sec-fetch-site": "same-origin"})
    assert accepted.status_code != 403
