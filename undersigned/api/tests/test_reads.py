"""The public reads, through their addresses: the same numbers as the pages, cacheable, open to
other sites, paginated by cursors that cannot be forged."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.utils.http import http_date

from undersigned.api.tests.conftest import api_url, approved_sign_on, confirmed_signature
from undersigned.ledger.services import seal_pending
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.statements.services import statement_close
from undersigned.statements.tests.builders import published_statement

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_issuing_body_language_and_state(client, open_statement, mobility):
    other = published_statement(mobility, slug="safe-streets", translations=("fr",))
    statement_close(actor=None, statement=other)
    listed = client.get("/api/v1/statements")
    assert listed.status_code == 200
    assert [item["slug"] for item in listed.json()["items"]] == ["safe-streets", "library-opening-hours"]

    def slugs(query: str) -> list[str]:
        response = client.get(f"/api/v1/statements?{query}")
        assert response.status_code == 200
        return [item["slug"] for item in response.json()["items"]]

    assert slugs("issuing_body=public-libraries") == ["library-opening-hours"]
    assert slugs("issuing_body=federation") == []
    assert slugs("language=fr") == ["safe-streets"]
    assert slugs("state=open") == ["library-opening-hours"]
    assert slugs("state=closed") == ["safe-streets"]
    first = listed.json()["items"][1]
    assert first["issuing_body"] == "public-libraries"
    assert first["takes_signatures"] is True
    assert first["languages"] == ["en"]


def test_the_list_pages_by_a_signed_cursor(client, libraries):
    for number in range(5):
        build_open_statement(libraries, slug=f"statement-{number}")
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get("/api/v1/statements", {"limit": 2, "cursor": cursor}).json()
        seen += [item["slug"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"statement-{number}" for number in reversed(range(5))]

    forged = client.get("/api/v1/statements", {"cursor": "WyIyMDI2IiwgMV0:forged:signature"})
    assert forged.status_code == 400
    assert forged["Content-Type"] == "application/json"
    assert forged.json()["code"] == "invalid_cursor"


def test_one_statement_with_its_texts_and_what_signing_needs(client, open_statement):
    response = client.get(api_url(open_statement.statement))
    assert response.status_code == 200
    data = response.json()
    (text,) = data["texts"]
    revision = open_statement.revision
    assert text["language"] == "en"
    assert text["title"] == revision.title
    assert text["body"] == revision.body
    assert text["revision"] == revision.number == 1
    assert text["revision_id"] == revision.pk
    assert text["sha256"] == revision.sha256
    assert data["sign_form"]["started"]
    assert data["sign_form"]["proof_of_work_required"] is False
    assert data["sign_form"]["challenge_url"].endswith("/signatures/challenge/")


def test_counts_are_the_statement_pages(client, open_statement):
    statement = open_statement.statement
    confirmed_signature(statement, "ana@example.org", "FR")
    confirmed_signature(statement, "ben@example.org", "FR")
    confirmed_signature(statement, "cai@example.org", "DE")
    approved_sign_on(statement, "Neighbourhood Readers", "ES")

    page = client.get(f"/statements/{statement.slug}/")
    counts = client.get(api_url(statement, "/counts")).json()
    assert counts["signatures"]["total"] == page.context["tally"].total == 3
    assert counts["signatures"]["by_country"] == [{"country": "FR", "count": 2}, {"country": "DE", "count": 1}]
    assert counts["organisations"]["total"] == page.context["sign_ons"].total == 1
    assert counts["organisations"]["by_country"] == [{"country": "ES", "count": 1}]
    assert counts["organisations"]["by_type"] == [{"type": "Association", "count": 1}]


def test_signatories_show_the_names_as_shown_by_cursor(client, open_statement):
    statement = open_statement.statement
    confirmed_signature(statement, "ana@example.org", "FR", name="Ana Pérez")
    confirmed_signature(statement, "ben@example.org", "DE", name="Ben Braun")
    confirmed_signature(statement, "cai@example.org", "SE", name="Cai Berg")
    first = client.get(api_url(statement, "/signatories"), {"limit": 2}).json()
    assert first["items"] == [{"name": "Cai Berg", "country": "SE"}, {"name": "Ben Braun", "country": "DE"}]
    rest = client.get(api_url(statement, "/signatories"), {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert rest == {"items": [{"name": "Ana Pérez", "country": "FR"}], "next_cursor": None}
    # A cursor of the statements list is not one of signatories.
    assert client.get(api_url(statement, "/signatories"), {"cursor": "x:y"}).status_code == 400


def test_sign_ons_milestones_deliveries_and_the_ledger_head(client, open_statement):
    statement = open_statement.statement
    approved_sign_on(statement, "Neighbourhood Readers", "ES")
    sign_ons = client.get(api_url(statement, "/sign-ons")).json()
    assert sign_ons == [
        {
            "country": "ES",
            "country_name": "Spain",
            "organisations": [
                {"name": "Neighbourhood Readers", "website": "", "type": "Association", "is_member": False}
            ],
        }
    ]
    milestones = client.get(api_url(statement, "/milestones"))
    assert milestones.status_code == 200
    assert isinstance(milestones.json(), list)
    assert client.get(api_url(statement, "/deliveries")).json() == []
    head = client.get(api_url(statement, "/ledger-head")).json()
    assert head["statement"] == statement.slug
    assert set(head) == {"statement", "seq", "hash", "counts", "sealed_at"}


def test_reads_are_cacheable_conditional_and_open_to_other_sites(client, open_statement):
    url = api_url(open_statement.statement, "/counts")
    response = client.get(url, headers={"Origin": "https://member.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert response["Cache-Control"] == "public, max-age=5"
    etag = response["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"

    preflight = client.options(
        url, headers={"Origin": "https://member.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]


def test_a_statement_answers_304_within_a_cache_window_and_its_timer_still_works(client, open_statement):
    url = api_url(open_statement.statement)
    with time_machine.travel(1_900_000_001.0, tick=False):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    started = first.json()["sign_form"]["started"]
    # Never older than it says: right after the window it is still too early to send the form.
    with time_machine.travel(1_900_000_005.0, tick=False):
        assert SIGN_FORM_TIMER.refusal(started=started, honeypot="") is not None
    with time_machine.travel(1_900_000_005.0 + settings.FORM_MIN_FILL_SECONDS, tick=False):
        assert SIGN_FORM_TIMER.refusal(started=started, honeypot="") is None


def test_the_schema_is_openapi_and_the_docs_are_our_own_page(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.1")
    assert "/api/v1/statements/{slug}/counts" in schema.json()["paths"]
    # ninja's page (scripts from another site) stays off; the address leads to our own page.
    docs = client.get("/api/v1/docs")
    assert (docs.status_code, docs["Location"]) == (301, "/api/v1/docs/")
    assert "swagger" not in client.get("/api/v1/docs/").content.decode().lower()


def test_a_statement_is_last_modified_by_its_change_or_its_timers_window_and_answers_304(client, open_statement):
    url = api_url(open_statement.statement)
    with time_machine.travel(1_900_000_001.0, tick=False):
        first = client.get(url)
        assert first["Last-Modified"] == http_date(1_900_000_000)
        assert client.get(url, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
        older = client.get(url, headers={"If-Modified-Since": http_date(1_899_999_999)})
        assert older.status_code == 200
    # The next window draws new timers: the answer has changed since, and says so.
    with time_machine.travel(1_900_000_006.0, tick=False):
        later = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert later.status_code == 200
        assert later["Last-Modified"] == http_date(1_900_000_005)


def test_the_ledger_head_is_last_modified_when_it_was_sealed(client, open_statement):
    statement = open_statement.statement
    url = api_url(statement, "/ledger-head")
    assert "Last-Modified" not in client.get(url)  # nothing sealed yet: no time to give
    confirmed_signature(statement, "ana@example.org")
    seal_pending()
    head = client.get(url)
    sealed_at = datetime.fromisoformat(head.json()["sealed_at"])
    assert head["Last-Modified"] == http_date(int(sealed_at.timestamp()))
    assert client.get(url, headers={"If-Modified-Since": head["Last-Modified"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": http_date(int(sealed_at.timestamp()) - 1)}).status_code == 200


def test_answers_vary_by_accept_language_alone_whatever_the_cookies(client, open_statement, settings):
    statement = open_statement.statement
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    client.cookies[settings.SESSION_COOKIE_NAME] = "anything"
    for response in (
        client.get(api_url(statement, "/counts")),
        client.get("/api/v1/statements"),
        client.get("/api/v1/nothing"),
        client.post(api_url(statement, "/signatures"), data={}, content_type="application/json"),
    ):
        assert response["Vary"] == "Accept-Language"
        assert "Set-Cookie" not in response
    # The switcher's cookie is the site's: a program's answer follows Accept-Language.
    assert client.get("/api/v1/nothing").json()["message"] == "Not found."
    assert client.get("/api/v1/nothing", headers={"Accept-Language": "fr"}).json()["message"] == "Introuvable."
    # The site's pages still follow the cookie.
    page = client.get(f"/statements/{statement.slug}/")
    assert page["Content-Language"] == "fr"
    assert "Cookie" in page["Vary"]
    etag = client.get(api_url(statement, "/counts"))["ETag"]
    not_modified = client.get(api_url(statement, "/counts"), headers={"If-None-Match": etag})
    assert (not_modified.status_code, not_modified["Vary"]) == (304, "Accept-Language")


def test_the_statement_links_its_atom_feeds(client, open_statement):
    statement = open_statement.statement
    feeds = client.get(api_url(statement)).json()["feeds"]
    assert feeds == [
        {
            "kind": "statements",
            "body": "public-libraries",
            "language": "en",
            "url": "http://testserver/feeds/public-libraries/en.atom",
        },
        {"kind": "statements", "body": "all", "language": "en", "url": "http://testserver/feeds/all/en.atom"},
        {
            "kind": "actions",
            "body": "public-libraries",
            "language": "en",
            "url": "http://testserver/statements/library-opening-hours/actions/feed/en.atom",
        },
    ]
    for feed in feeds:
        response = client.get(urlsplit(feed["url"]).path)
        assert response.status_code == 200
        assert statement.slug in response.content.decode()
