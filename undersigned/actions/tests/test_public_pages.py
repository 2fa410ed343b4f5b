"""The public list of a statement's actions and the line on the statement page."""

from __future__ import annotations

import pytest
from django.test import Client

from undersigned.actions.models import SolidarityAction
from undersigned.actions.tests.conftest import days_from_today, member_client, report_data
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.commissions.models import Commission
from undersigned.organisations.tests.conftest import member_organisation

pytestmark = pytest.mark.django_db


def list_url(open_statement) -> str:
    return f"/statements/{open_statement.statement.slug}/actions/"


def test_the_list_shows_approved_actions_newest_first_planned_or_held(open_statement, member):
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
    SolidarityActionFactory(
        statement=statement,
        organisation=member,
        kind="forum",
        date=days_from_today(20),
        city="Tunis",
        country="TN",
        description="منتدى عام حول ساعات فتح المكتبات.",
        description_language="ar",
    )
    for status, text in [
        ("withdrawn", "A withdrawn rally"),
        ("rejected", "A rejected rally"),
        ("awaiting", "A rally waiting for review"),
    ]:
        SolidarityActionFactory(
            statement=statement, organisation=member, status=status, description=text, rejection_reason="Off topic."
        )
    answer = Client().get(list_url(open_statement))
    assert answer.status_code == 200
    assert "public" in answer["Cache-Control"] and "s-maxage" in answer["Cache-Control"]
    page = answer.content.decode()
    for hidden in ("A withdrawn rally", "A rejected rally", "A rally waiting for review"):
        assert hidden not in page
    planned, held = page.index("منتدى عام"), page.index("Une veillée")
    assert planned < held  # the latest date first
    first, second = page.split('<li class="action">')[1:3]
    assert "Planned" in first and "Public forum or meeting" in first and 'lang="ar" dir="rtl"' in first
    assert "Held" in second and "Vigil" in second and 'lang="fr" dir="ltr"' in second
    assert "40 taking part (the organisation's figure)" in second
    assert 'href="https://www.reading-room.example/vigil" rel="nofollow ugc noopener"' in second
    assert "Friends of the Reading Room" in first and "Tunisia" in first


def test_the_list_filters_by_country(open_statement, member):
    statement = open_statement.statement
    SolidarityActionFactory(statement=statement, organisation=member, description="In Lyon.")
    SolidarityActionFactory(
        statement=statement, organisation=member, country="TN", city="Tunis", description="In Tunis."
    )
    page = Client().get(list_url(open_statement) + "?country=TN").content.decode()
    assert "In Tunis." in page and "In Lyon." not in page
    assert '<span aria-current="page">Tunisia</span>' in page
    everything = Client().get(list_url(open_statement) + "?country=ZZ").content.decode()
    assert "In Tunis." in everything and "In Lyon." in everything


def test_the_list_reads_a_page_of_actions_in_a_few_queries(open_statement, member, django_assert_max_num_queries):
    for day in range(30):
        SolidarityActionFactory(statement=open_statement.statement, organisation=member, date=days_from_today(-day))
    Client().get(list_url(open_statement))
    # The federation's identity, the countries with their counts, the count of the page, its rows.
    with django_assert_max_num_queries(5):
        assert Client().get(list_url(open_statement)).status_code == 200


def test_a_planned_action_reads_as_held_once_its_day_has_come(open_statement, member, time_machine):
    SolidarityActionFactory(statement=open_statement.statement, organisation=member, date=days_from_today(2))
    assert "Planned" in Client().get(list_url(open_statement)).content.decode()
    time_machine.move_to(days_from_today(3).isoformat() + "T12:00:00Z")
    page = Client().get(list_url(open_statement)).content.decode()
    assert "Held" in page and "Planned" not in page


def test_the_statement_page_counts_actions_and_countries_apart_from_signatures(open_statement, member, libraries):
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    statement_url = f"/statements/{open_statement.statement.slug}/"
    page = Client().get(statement_url).content.decode()
    assert "they are not part of the signature count" in page
    assert f'href="{list_url(open_statement)}report/"' in page
    assert "in 1 country" not in page
    client = member_client()
    client.post(list_url(open_statement) + "report/", report_data(member))
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    member_client("rosa@harbour-readers.example").post(
        list_url(open_statement) + "report/", report_data(other, country="TN", city="Tunis")
    )
    SolidarityActionFactory(statement=open_statement.statement, organisation=member, status="awaiting")
    assert SolidarityAction.objects.count() == 3
    page = Client().get(statement_url).content.decode()
    assert f'<a href="{list_url(open_statement)}">2 actions in 2 countries</a>' in page
    assert "0 confirmed signatures" in page or ">0<" in page  # the signature count is left alone


def test_an_empty_list_says_so(open_statement):
    page = Client().get(list_url(open_statement)).content.decode()
    assert "No action has been reported for this statement yet." in page
