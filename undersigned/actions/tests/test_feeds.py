"""The Atom feeds of approved actions: per statement and per issuing body."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from django.test import Client

from undersigned.actions.tests.conftest import days_from_today
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.public_pages import SHARED_CACHE_SECONDS
from undersigned.signatures.tests.conftest import build_open_statement

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def feed_url(open_statement, language: str = "en") -> str:
    return f"/statements/{open_statement.statement.slug}/actions/feed/{language}.atom"


def parsed(response) -> ElementTree.Element:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def entry_summaries(root: ElementTree.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}summary") or "" for entry in root.findall(f"{ATOM}entry")]


def test_the_statement_feed_has_only_approved_actions_with_their_details(open_statement, member):
    statement = open_statement.statement
    SolidarityActionFactory(
        statement=statement,
        organisation=member,
        kind="vigil",
        date=days_from_today(-1),
        city="Lyon",
        description="Une veillée devant la bibliothèque.",
        description_language="fr",
        participants=40,
        link="https://www.reading-room.example/vigil",
    )
    for status in ("withdrawn", "rejected", "awaiting"):
        SolidarityActionFactory(
            statement=statement,
            organisation=member,
            status=status,
            description=f"A {status} rally",
            rejection_reason="Off topic.",
        )
    root = parsed(Client().get(feed_url(open_statement)))
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "Solidarity actions" in (root.findtext(f"{ATOM}title") or "")
    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == f"{member.name} · Vigil · Lyon, France"
    assert entry.find(f"{ATOM}category").get("term") == "Vigil"
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/statements/{statement.slug}/actions/")
    summary = entry.findtext(f"{ATOM}summary") or ""
    assert 'lang="fr"' in summary and "Une veillée devant la bibliothèque." in summary
    assert "Held" in summary and "40 taking part" in summary
    assert 'href="https://www.reading-room.example/vigil"' in summary
    assert "rally" not in "".join(entry_summaries(root))


def test_the_feed_is_written_in_the_language_of_its_address(open_statement, member):
    SolidarityActionFactory(statement=open_statement.statement, organisation=member, kind="vigil", city="Lyon")
    answer = Client().get(feed_url(open_statement, "fr"), headers={"accept-language": "ar"})
    root = parsed(answer)
    assert answer["Content-Language"] == "fr"
    assert "Vary" not in answer
    (entry,) = root.findall(f"{ATOM}entry")
    assert "France" in (entry.findtext(f"{ATOM}title") or "")
    assert Client().get(feed_url(open_statement, "zz")).status_code == 404
    assert Client().get("/statements/no-such-statement/actions/feed/en.atom").status_code == 404


def test_the_feeds_are_kept_by_shared_caches_like_the_statement_feed(open_statement, member):
    SolidarityActionFactory(statement=open_statement.statement, organisation=member)
    for path in (feed_url(open_statement), "/feeds/public-libraries/actions/en.atom", "/feeds/all/actions/en.atom"):
        answer = Client().get(path)
        assert answer.status_code == 200, path
        cache_control = {part.strip() for part in answer["Cache-Control"].split(",")}
        assert {"public", f"s-maxage={SHARED_CACHE_SECONDS}"} <= cache_control
        assert not answer.cookies and answer.has_header("ETag")
        assert Client().get(path, headers={"if-none-match": answer["ETag"]}).status_code == 304


def test_the_issuing_body_feed_has_the_actions_of_its_statements_only(open_statement, member, mobility):
    SolidarityActionFactory(statement=open_statement.statement, organisation=member, description="At the library.")
    other = build_open_statement(mobility, slug="safer-cycling")
    SolidarityActionFactory(statement=other.statement, organisation=member, description="On the cycle lane.")

    libraries = entry_summaries(parsed(Client().get("/feeds/public-libraries/actions/en.atom")))
    assert len(libraries) == 1 and "At the library." in libraries[0]
    everything = entry_summaries(parsed(Client().get("/feeds/all/actions/en.atom")))
    assert len(everything) == 2
    assert entry_summaries(parsed(Client().get("/feeds/federation/actions/en.atom"))) == []
    assert Client().get("/feeds/nobody/actions/en.atom").status_code == 404


def test_the_list_page_links_its_feed(open_statement):
    page = Client().get(f"/statements/{open_statement.statement.slug}/actions/").content.decode()
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed_url(open_statement)}"' in page
