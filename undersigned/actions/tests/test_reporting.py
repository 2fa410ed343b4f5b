"""A member organisation's signed-in contact reports an action; bad input is refused on the page
with nothing stored; anyone else is told how to sign in."""

from __future__ import annotations

import pytest
from django.test import Client

from undersigned.actions.models import SolidarityAction
from undersigned.actions.tests.conftest import days_from_today, member_client, report_data
from undersigned.commissions.models import Commission
from undersigned.core.models import AuditEvent
from undersigned.organisations.models import Organisation
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db


def report_url(open_statement) -> str:
    return f"/statements/{open_statement.statement.slug}/actions/report/"


def test_a_member_contact_reports_an_action_published_at_once_when_members_skip_review(
    open_statement, member, libraries
):
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    client = member_client()
    form = client.get(report_url(open_statement))
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert "Friends of the Reading Room" in form.content.decode()
    answer = client.post(report_url(open_statement), report_data(member), follow=True)
    assert answer.redirect_chain[-1][0] == f"/statements/{open_statement.statement.slug}/actions/"
    action = SolidarityAction.objects.get()
    assert action.status == SolidarityAction.Status.APPROVED and action.organisation == member
    assert (action.kind, action.city, action.country, action.participants) == ("rally", "Lyon", "FR", 250)
    assert action.description_language == "en" and action.via_member_sign_in
    page = answer.content.decode()
    assert "the action is published on this page" in page
    assert "A rally in front of the town hall" in page
    event = AuditEvent.objects.get(action="solidarity_action.reported")
    assert event.subject_id == action.pk and event.detail["without_review"] is True


def test_without_the_issuing_bodys_leave_a_members_action_waits_for_review(open_statement, member):
    client = member_client()
    answer = client.post(report_url(open_statement), report_data(member), follow=True)
    action = SolidarityAction.objects.get()
    assert action.status == SolidarityAction.Status.AWAITING_MODERATION
    page = answer.content.decode()
    assert "once the issuing body has reviewed it" in page
    assert "A rally in front of the town hall" not in page
    assert AuditEvent.objects.get(action="solidarity_action.reported").detail["status"] == "awaiting"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": days_from_today(400).isoformat()}, "more than a year ahead"),
        ({"date": days_from_today(-3).isoformat()}, "before the statement was published"),
        ({"date": "not a date"}, "Enter a valid date."),
        ({"link": "ftp://files.reading-room.example/rally"}, "starts with http:// or https://"),
        ({"link": "javascript:alert(1)"}, "starts with http:// or https://"),
        ({"link": "https://"}, "starts with http:// or https://"),
        ({"description": "x" * 1001}, "to 1000 characters or fewer (it has 1001)"),
        ({"description": "   "}, "This field is required."),
        ({"participants": "0"}, "from 1 to 9,999,999"),
        ({"participants": "-12"}, "from 1 to 9,999,999"),
        ({"participants": "10000000"}, "from 1 to 9,999,999"),
        ({"participants": "many"}, "Enter a whole number."),
        ({"kind": "parade"}, "Select a valid choice."),
        ({"country": "XX"}, "Choose your country from the list."),
        ({"city": ""}, "This field is required."),
        ({"description_language": "xx-nowhere"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_on_the_page_and_nothing_is_stored(open_statement, member, fields, message):
    client = member_client()
    answer = client.post(report_url(open_statement), report_data(member, **fields))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert message in page, page
    assert "field--invalid" in page
    assert not SolidarityAction.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="solidarity_action").exists()


def test_a_contact_reports_only_for_their_own_organisation(open_statement, member):
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    client = member_client()
    answer = client.post(report_url(open_statement), report_data(member, organisation=other.pk))
    assert answer.status_code == 400 and "Select a valid choice" in answer.content.decode()
    assert not SolidarityAction.objects.exists()


def test_an_anonymous_visitor_is_told_how_to_sign_in_and_offered_the_public_form(open_statement, member):
    answer = Client().get(report_url(open_statement))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'href="/organisations/members/sign-in/"' in page
    assert f'action="/statements/{open_statement.statement.slug}/actions/report/organisation/"' in page
    assert 'name="organisation_name"' in page and 'name="contact_email"' in page


def test_a_member_report_sent_after_the_sign_in_ended_is_refused_with_a_reason(open_statement, member):
    answer = Client().post(report_url(open_statement), report_data(member))
    assert answer.status_code == 403
    assert "Your member sign-in has ended, so the report was not stored" in answer.content.decode()
    assert not SolidarityAction.objects.exists()


def test_a_contact_whose_organisation_is_no_longer_a_member_is_refused(open_statement, member):
    client = member_client()
    Organisation.objects.filter(pk=member.pk).update(is_member=False, member_since=None)
    answer = client.post(report_url(open_statement), report_data(member))
    assert answer.status_code == 403 and "None of your organisations is a member" in answer.content.decode()
    assert not SolidarityAction.objects.exists()


def test_a_withdrawn_statement_takes_no_reports(open_statement, member):
    Statement.objects.filter(pk=open_statement.statement.pk).update(status=Statement.Status.WITHDRAWN)
    client = member_client()
    assert client.get(report_url(open_statement)).status_code == 410
    answer = client.post(report_url(open_statement), report_data(member))
    assert answer.status_code == 410 and "takes no reports of actions" in answer.content.decode()
    assert not SolidarityAction.objects.exists()


def test_an_unknown_statement_is_not_found(member):
    assert member_client().get("/statements/no-such-statement/actions/report/").status_code == 404
