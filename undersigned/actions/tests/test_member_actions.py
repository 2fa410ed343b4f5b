"""A member organisation's signed-in contact sees the actions their organisations reported and
withdraws one: it leaves the public list, the count and the feed, and its photo is deleted."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from undersigned.actions.models import ActionPhoto, SolidarityAction
from undersigned.actions.services import action_withdraw_by_member
from undersigned.actions.tests.conftest import member_client, report_data
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.audit import events_for
from undersigned.core.exceptions import DomainError
from undersigned.organisations.tests.conftest import member_organisation

pytestmark = pytest.mark.django_db

PAGE = "/organisations/members/actions/"
WITHDRAW = "/organisations/members/actions/withdraw/"


def png_upload() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 60), (120, 160, 40)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "rally.png"
    return buffer


def test_the_page_lists_the_organisations_actions_with_their_state(open_statement, member):
    shown = SolidarityActionFactory.create(statement=open_statement.statement, organisation=member, city="Lyon")
    waiting = SolidarityActionFactory.create(
        statement=open_statement.statement,
        organisation=member,
        city="Grenoble",
        status=SolidarityAction.Status.AWAITING_MODERATION,
    )
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    SolidarityActionFactory.create(statement=open_statement.statement, organisation=other, city="Nantes")
    page = member_client().get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lyon" in text and "Shown with the statement" in text
    assert "Grenoble" in text and "Waiting for the issuing body" in text
    assert "Nantes" not in text  # another organisation's
    assert text.count('name="action"') == 2
    assert shown.pk and waiting.pk


def test_signed_out_visitors_are_sent_to_the_sign_in(open_statement, member):
    answer = Client().get(PAGE)
    assert answer.status_code == 302 and answer["Location"] == "/organisations/members/sign-in/"
    answer = Client().post(WITHDRAW, {"action": "1"})
    assert answer.status_code in (302, 403)


def test_withdrawing_takes_it_off_the_list_the_count_and_the_photo(open_statement, member):
    client = member_client()
    slug = open_statement.statement.slug
    answer = client.post(f"/statements/{slug}/actions/report/", {**report_data(member), "photo": png_upload()})
    assert answer.status_code == 302
    action = SolidarityAction.objects.get()
    SolidarityAction.objects.filter(pk=action.pk).update(status=SolidarityAction.Status.APPROVED)
    photo = action.photo_id
    assert photo is not None
    answer = client.post(WITHDRAW, {"action": action.pk}, follow=True)
    assert answer.status_code == 200 and "The action is withdrawn" in answer.content.decode()
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.WITHDRAWN and action.photo is None
    assert not ActionPhoto.objects.filter(pk=photo).exists()
    assert "A rally in front of the town hall" not in Client().get(f"/statements/{slug}/actions/").content.decode()
    assert Client().get(f"/actions/photos/{photo}").status_code == 404
    [event] = events_for(action).filter(action="solidarity_action.withdrawn")
    assert event.detail["was"] == "approved" and event.detail["by_member"] is True
    # Again: nothing changes, and the page says so.
    answer = client.post(WITHDRAW, {"action": action.pk}, follow=True)
    assert "already withdrawn" in answer.content.decode()
    assert events_for(action).filter(action="solidarity_action.withdrawn").count() == 1


def test_a_photo_shown_by_another_action_stays(open_statement, member):
    first = SolidarityActionFactory.create(statement=open_statement.statement, organisation=member)
    ActionPhoto.objects.create(sha256="a" * 64, image=b"x", width=1, height=1)
    SolidarityAction.objects.filter(pk=first.pk).update(photo_id="a" * 64)
    second = SolidarityActionFactory.create(statement=open_statement.statement, organisation=member, photo_id="a" * 64)
    assert action_withdraw_by_member(email="ana@reading-room.example", action_id=first.pk)
    assert ActionPhoto.objects.filter(pk="a" * 64).exists()
    second.refresh_from_db()
    assert second.photo_id == "a" * 64


@pytest.mark.parametrize("posted", ["", "abc", "-1", "99999999999999999999"])
def test_a_bad_or_foreign_action_is_not_found_and_nothing_changes(open_statement, member, posted):
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    foreign = SolidarityActionFactory.create(statement=open_statement.statement, organisation=other)
    client = member_client()
    for value in (posted, str(foreign.pk)):
        answer = client.post(WITHDRAW, {"action": value}, follow=True)
        assert answer.status_code == 200 and "not found among yours" in answer.content.decode()
    foreign.refresh_from_db()
    assert foreign.status == SolidarityAction.Status.APPROVED
    with pytest.raises(DomainError):
        action_withdraw_by_member(email="ana@reading-room.example", action_id=foreign.pk)


def test_a_rejected_action_can_be_withdrawn_and_its_reason_stays_for_the_editors(open_statement, member):
    rejected = SolidarityActionFactory.create(
        statement=open_statement.statement,
        organisation=member,
        status=SolidarityAction.Status.REJECTED,
        rejection_reason="Off topic.",
    )
    assert action_withdraw_by_member(email="ana@reading-room.example", action_id=rejected.pk) is True
    rejected.refresh_from_db()
    assert rejected.status == SolidarityAction.Status.WITHDRAWN and rejected.rejection_reason == "Off topic."
    assert action_withdraw_by_member(email="ana@reading-room.example", action_id=rejected.pk) is False
