"""The editors' moderation of reported actions: approve, reject with a reason, correct a
description; only within the statements they moderate, each decision audited."""

from __future__ import annotations

import pytest
from django.test import Client

from undersigned.actions.models import DESCRIPTION_LIMIT, SolidarityAction
from undersigned.actions.services import action_edit_description, actions_approve, actions_reject
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.audit import events_for
from undersigned.core.exceptions import DomainError
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db

QUEUE = "/staff/actions/"


@pytest.fixture
def waiting(open_statement, member) -> SolidarityAction:
    return SolidarityActionFactory.create(
        statement=open_statement.statement,
        organisation=member,
        status=SolidarityAction.Status.AWAITING_MODERATION,
        kind="rally",
        description="A rally waiting for review in front of the town hall.",
        link="https://www.reading-room.example/rally",
        participants=120,
    )


@pytest.fixture
def libraries_editor(libraries):
    return editor(libraries)


@pytest.fixture
def editor_client(libraries_editor) -> Client:
    client = Client()
    staff_login(client, libraries_editor)
    return client


def public_list(open_statement) -> str:
    answer = Client().get(f"/statements/{open_statement.statement.slug}/actions/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_approving_publishes_the_action_and_audits_it(open_statement, waiting, libraries_editor):
    assert waiting.description not in public_list(open_statement)
    outcome = actions_approve(actor=libraries_editor, action_ids=[waiting.pk])
    assert (outcome.changed, outcome.skipped) == (1, 0)
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.APPROVED
    assert waiting.reviewed_by == libraries_editor and waiting.reviewed_at is not None
    [event] = events_for(waiting).filter(action="solidarity_action.approved")
    assert event.actor == libraries_editor and event.detail == {"statement": open_statement.statement.pk}
    assert waiting.description in public_list(open_statement)
    # Decided once: a second approval changes nothing and records nothing.
    again = actions_approve(actor=libraries_editor, action_ids=[waiting.pk])
    assert (again.changed, again.skipped) == (0, 1)
    assert events_for(waiting).filter(action="solidarity_action.approved").count() == 1


def test_rejecting_needs_a_reason_keeps_it_and_shows_the_action_to_nobody(open_statement, waiting, libraries_editor):
    with pytest.raises(DomainError) as refused:
        actions_reject(actor=libraries_editor, action_ids=[waiting.pk], reason="   ")
    assert refused.value.code == "reason_required"
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.AWAITING_MODERATION
    outcome = actions_reject(actor=libraries_editor, action_ids=[waiting.pk], reason="Not  about this statement.")
    assert outcome.changed == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.rejection_reason) == ("rejected", "Not about this statement.")
    [event] = events_for(waiting).filter(action="solidarity_action.rejected")
    assert event.detail["reason"] == "Not about this statement."
    page = public_list(open_statement)
    assert waiting.description not in page and "Not about this statement" not in page
    # A rejected action is not approved afterwards.
    assert actions_approve(actor=libraries_editor, action_ids=[waiting.pk]).changed == 0


def test_only_waiting_actions_are_decided(open_statement, member, libraries_editor):
    withdrawn = SolidarityActionFactory.create(
        statement=open_statement.statement, organisation=member, status=SolidarityAction.Status.WITHDRAWN
    )
    outcome = actions_reject(actor=libraries_editor, action_ids=[withdrawn.pk], reason="Spam.")
    assert (outcome.changed, outcome.skipped) == (0, 1)
    withdrawn.refresh_from_db()
    assert withdrawn.status == SolidarityAction.Status.WITHDRAWN
    assert not events_for(withdrawn).exists()


def test_editing_the_description_is_audited_without_the_text(waiting, libraries_editor):
    edited = action_edit_description(actor=libraries_editor, action=waiting, description="  A rally in Lyon.  ")
    assert edited.description == "A rally in Lyon."
    waiting.refresh_from_db()
    assert waiting.description == "A rally in Lyon." and waiting.status == SolidarityAction.Status.AWAITING_MODERATION
    [event] = events_for(waiting).filter(action="solidarity_action.description_edited")
    assert "Lyon" not in str(event.detail)
    for bad in ("", "x" * (DESCRIPTION_LIMIT + 1)):
        with pytest.raises(DomainError) as refused:
            action_edit_description(actor=libraries_editor, action=waiting, description=bad)
        assert refused.value.code == "invalid"
    waiting.status = SolidarityAction.Status.REJECTED
    waiting.rejection_reason = "Spam."
    waiting.save(update_fields=["status", "rejection_reason"])
    with pytest.raises(DomainError) as refused:
        action_edit_description(actor=libraries_editor, action=waiting, description="Another text.")
    assert refused.value.code == "not_editable"


def test_an_editor_of_another_commission_cannot_moderate(waiting, mobility):
    outsider = editor(mobility)
    for attempt in (
        lambda: actions_approve(actor=outsider, action_ids=[waiting.pk]),
        lambda: actions_reject(actor=outsider, action_ids=[waiting.pk], reason="No."),
        lambda: action_edit_description(actor=outsider, action=waiting, description="Changed."),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "forbidden"
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.AWAITING_MODERATION
    assert not events_for(waiting).exists()
    client = Client()
    staff_login(client, outsider)
    page = client.get(QUEUE)
    assert page.status_code == 200 and waiting.description not in page.content.decode()
    answer = client.post(QUEUE, {"chosen": [waiting.pk], "action": "approve"})
    assert answer.status_code == 400
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.AWAITING_MODERATION


def test_anonymous_visitors_are_sent_to_sign_in(waiting):
    for answer in (Client().get(QUEUE), Client().post(QUEUE, {"chosen": [waiting.pk], "action": "approve"})):
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/sign-in/?next=")
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.AWAITING_MODERATION


def test_the_queue_shows_the_action_with_its_link_as_text(editor_client, waiting):
    answer = editor_client.get(QUEUE)
    assert answer.status_code == 200
    page = answer.content.decode()
    for shown in (waiting.description, "Reading Room", "Lyon", "120", "https://www.reading-room.example/rally"):
        assert shown in page, shown
    assert 'href="https://www.reading-room.example' not in page
    dashboard = editor_client.get("/staff/").content.decode()
    assert "/staff/actions/" in dashboard and "(1 waiting)" in dashboard


def test_the_page_approves_and_rejects(editor_client, open_statement, member, waiting):
    other = SolidarityActionFactory.create(
        statement=open_statement.statement,
        organisation=member,
        status=SolidarityAction.Status.AWAITING_MODERATION,
        description="A second action waiting.",
    )
    answer = editor_client.post(QUEUE, {"chosen": [waiting.pk], "action": "approve"}, follow=True)
    assert "1 action approved." in answer.content.decode()
    answer = editor_client.post(QUEUE, {"chosen": [other.pk], "action": "reject", "reason": "Off topic."}, follow=True)
    assert "1 action rejected." in answer.content.decode()
    assert list(SolidarityAction.objects.order_by("pk").values_list("status", flat=True)) == ["approved", "rejected"]
    page = public_list(open_statement)
    assert waiting.description in page and other.description not in page


def test_the_page_says_what_is_wrong_and_changes_nothing(editor_client, waiting):
    cases = [
        ({"action": "approve"}, "Choose at least one action."),
        ({"chosen": [waiting.pk], "action": "reject", "reason": ""}, "Give a reason for the rejection"),
        ({"chosen": [waiting.pk + 1000], "action": "approve"}, "Please correct what is marked below."),
        ({"edit": waiting.pk, "description": "x" * (DESCRIPTION_LIMIT + 5)}, "Keep the description to 1000"),
        ({"edit": waiting.pk, "description": "  "}, "Describe the action in a few lines."),
        ({"edit": "not-a-number", "description": "Text."}, "no longer waiting for review"),
    ]
    for data, message in cases:
        answer = editor_client.post(QUEUE, data)
        assert answer.status_code == 400, data
        assert message in answer.content.decode(), data
    waiting.refresh_from_db()
    assert waiting.status == SolidarityAction.Status.AWAITING_MODERATION
    assert not events_for(waiting).exists()


def test_the_page_saves_a_corrected_description(editor_client, waiting):
    answer = editor_client.post(QUEUE, {"edit": waiting.pk, "description": "A rally, names removed."}, follow=True)
    assert "The description was saved." in answer.content.decode()
    waiting.refresh_from_db()
    assert waiting.description == "A rally, names removed."
