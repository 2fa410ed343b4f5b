"""The API's reads of a statement's solidarity actions."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from undersigned.actions.tests.conftest import days_from_today
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.api.tests.conftest import api_url
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_import, statement_publish
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(libraries):
    return build_open_statement(libraries).statement


def test_the_api_lists_approved_actions_with_their_details(client, statement):
    member = member_organisation()
    SolidarityActionFactory(
        statement=statement,
        organisation=member,
        kind="vigil",
        date=days_from_today(-2),
        city="Lyon",
        description="Une veillée.",
        description_language="fr",
        link="https://www.reading-room.example/vigil",
        participants=40,
    )
    SolidarityActionFactory(statement=statement, organisation=member, kind="forum", date=days_from_today(9))
    SolidarityActionFactory(statement=statement, organisation=member, status="awaiting", description="Not yet.")

    body = client.get(api_url(statement, "/actions"), headers={"accept-language": "fr"}).json()
    assert body["next_cursor"] is None
    planned, held = body["items"]
    assert (planned["kind"], planned["state"]) == ("forum", "planned")
    assert held == {
        "kind": "vigil",
        "kind_label": "Veillée",
        "date": days_from_today(-2).isoformat(),
        "state": "held",
        "city": "Lyon",
        "country": "FR",
        "organisation": member.name,
        "by_member": True,
        "description": "Une veillée.",
        "language": "fr",
        "link": "https://www.reading-room.example/vigil",
        "participants": 40,
    }


def test_the_actions_are_paged_by_cursor_without_gaps_or_repeats(client, statement):
    member = member_organisation()
    dates = [days_from_today(-(index % 3)) for index in range(7)]
    for day in dates:
        SolidarityActionFactory(statement=statement, organisation=member, date=day)
    seen, cursor = [], ""
    while True:
        body = client.get(api_url(statement, "/actions"), {"limit": 3, "cursor": cursor}).json()
        seen += [item["date"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((day.isoformat() for day in dates), reverse=True)
    assert client.get(api_url(statement, "/actions"), {"cursor": "forged"}).status_code == 400


def test_the_counts_of_actions_by_country_and_kind(client, statement):
    member = member_organisation()
    SolidarityActionFactory(statement=statement, organisation=member, kind="forum", country="FR")
    SolidarityActionFactory(statement=statement, organisation=member, kind="forum", country="ES")
    SolidarityActionFactory(statement=statement, organisation=member, kind="rally", country="FR")
    SolidarityActionFactory(statement=statement, organisation=member, kind="rally", status="withdrawn")
    body = client.get(api_url(statement, "/actions/counts")).json()
    assert body == {
        "total": 3,
        "countries": 2,
        "by_kind": [
            {"kind": "forum", "label": "Public forum or meeting", "count": 2},
            {"kind": "rally", "label": "Rally", "count": 1},
        ],
    }
    assert client.get("/api/v1/statements/nothing-here/actions/counts").status_code == 404


def test_the_statement_lists_an_action_feed_per_language_of_its_texts(client, libraries):
    # The texts' order: the original first, then the translations by language code.
    published_statement(libraries, slug="safe-streets", translations=("fr", "ar"))
    SolidarityActionFactory(
        statement=Statement.objects.get(slug="safe-streets"), organisation=member_organisation(), city="Rabat"
    )
    feeds = client.get("/api/v1/statements/safe-streets").json()["feeds"]
    assert [(feed["kind"], feed["body"], feed["language"]) for feed in feeds] == [
        ("statements", "public-libraries", "en"),
        ("statements", "public-libraries", "ar"),
        ("statements", "public-libraries", "fr"),
        ("statements", "all", "en"),
        ("statements", "all", "ar"),
        ("statements", "all", "fr"),
        ("actions", "public-libraries", "en"),
        ("actions", "public-libraries", "ar"),
        ("actions", "public-libraries", "fr"),
    ]
    for feed in feeds[-3:]:
        assert feed["url"] == f"http://testserver/statements/safe-streets/actions/feed/{feed['language']}.atom"
        answer = client.get(urlsplit(feed["url"]).path)
        assert answer.status_code == 200 and answer["Content-Language"] == feed["language"]
        assert "Rabat" in answer.content.decode()


def test_a_statement_in_no_interface_language_has_its_action_feed_in_the_sites_language(client, libraries):
    statement = statement_import(
        actor=None, commission=libraries, slug="ortszeiten", language="de", source=PRESS_RELEASE
    )
    statement_publish(actor=None, statement=statement)
    feeds = client.get("/api/v1/statements/ortszeiten").json()["feeds"]
    assert [(feed["kind"], feed["body"], feed["language"]) for feed in feeds] == [
        ("statements", "public-libraries", "de"),
        ("statements", "all", "de"),
        ("actions", "public-libraries", "en"),
    ]
    assert client.get(urlsplit(feeds[-1]["url"]).path).status_code == 200
    # An action feed in a language the interface does not speak does not exist.
    assert client.get("/statements/ortszeiten/actions/feed/de.atom").status_code == 404


def test_the_schema_tells_the_feeds_apart(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    feed = schema["Feed"]
    assert set(feed["required"]) == {"kind", "body", "language", "url"}
    assert "`actions`" in feed["properties"]["kind"]["description"]
    assert "`statements`" in feed["properties"]["kind"]["description"]
    assert "solidarity actions (`actions`)" in schema["StatementDetail"]["properties"]["feeds"]["description"]


def test_an_action_of_an_organisation_that_is_not_a_member_says_so(client, statement):
    from undersigned.actions.models import SolidarityAction

    SolidarityAction.objects.create(
        statement=statement,
        organisation=None,
        organisation_name="Harbour Community Choir",
        kind="vigil",
        date=statement.published_at.date(),
        city="Porto",
        country="PT",
        description="A vigil by the river.",
        status=SolidarityAction.Status.APPROVED,
    )
    [item] = client.get(f"/api/v1/statements/{statement.slug}/actions").json()["items"]
    assert (item["organisation"], item["by_member"]) == ("Harbour Community Choir", False)
