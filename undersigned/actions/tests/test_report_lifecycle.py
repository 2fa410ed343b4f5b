"""What happens to a report's photo and its contact's data over its life: a rejection deletes the
photo, only photos of actions shown or under review are served, a rejected report's contact can
still withdraw it, an erasure between the editors' reading and their decision mails nobody, expired
unconfirmed reports are deleted, an expired report sent again mails a new link, and an organisation
that has left the federation still withdraws its actions."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from undersigned.actions.models import ActionPhoto, SolidarityAction
from undersigned.actions.photos import photo_store, process_photo
from undersigned.actions.services import (
    ACTION_FORM_TIMER,
    ActionInput,
    ReporterInput,
    _mail_outcome,
    action_confirm,
    action_report_by_organisation,
    action_withdraw_by_link,
    actions_reject,
    unconfirmed_reports_delete,
)
from undersigned.actions.tests.conftest import member_client
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.audit import events_for
from undersigned.notifications.models import OutgoingMail
from undersigned.organisations.models import Organisation
from undersigned.privacy.services import purge_expired
from undersigned.testing import editor

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def report(statement, *, city: str = "Porto", photo: bytes | None = None) -> SolidarityAction:
    return action_report_by_organisation(
        statement=statement,
        reporter=ReporterInput(
            organisation_name="Harbour Community Choir",
            contact_name="Lin Contact",
            contact_role="Secretary",
            contact_email="lin@harbour-choir.example",
        ),
        data=ActionInput(
            kind="vigil", date=timezone.localdate(), city=city, country="PT", description="A vigil.", photo=photo
        ),
        started=ACTION_FORM_TIMER.started_token(drawn_at=time.time() - 60),
        honeypot="",
        network_hash="e" * 64,
        language="en",
    )


def test_a_rejection_deletes_the_photo_and_says_so_in_the_audit(open_statement, libraries):
    action = report(open_statement.statement, photo=jpeg())
    action_confirm(action_id=action.pk, statement_id=open_statement.statement.pk)
    photo = SolidarityAction.objects.get(pk=action.pk).photo_id
    assert Client().get(f"/actions/photos/{photo}").status_code == 200  # under review: the editors see it
    actions_reject(actor=editor(libraries), action_ids=[action.pk], reason="Faces can be recognised.")
    action.refresh_from_db()
    assert action.photo is None and not ActionPhoto.objects.filter(pk=photo).exists()
    assert Client().get(f"/actions/photos/{photo}").status_code == 404
    [event] = events_for(action).filter(action="solidarity_action.rejected")
    assert event.detail["photo_deleted"] is True


def test_only_photos_of_actions_shown_or_under_review_are_served(open_statement, member):
    photo = photo_store(process_photo(jpeg()))
    action = SolidarityActionFactory.create(
        statement=open_statement.statement, organisation=member, photo=photo, status=SolidarityAction.Status.PENDING
    )
    address = f"/actions/photos/{photo.sha256}"
    assert Client().get(address).status_code == 404
    for status, served in (("awaiting", 200), ("approved", 200), ("rejected", 404), ("withdrawn", 404)):
        SolidarityAction.objects.filter(pk=action.pk).update(status=status, rejection_reason="x")
        assert Client().get(address).status_code == served, status


def test_the_contact_of_a_rejected_report_withdraws_it_and_their_details_go(open_statement, libraries):
    action = report(open_statement.statement)
    action_confirm(action_id=action.pk, statement_id=open_statement.statement.pk)
    actions_reject(actor=editor(libraries), action_ids=[action.pk], reason="Not about this statement.")
    assert bytes(SolidarityAction.objects.get(pk=action.pk).sealed_contact)
    assert action_withdraw_by_link(action_id=action.pk, statement_id=open_statement.statement.pk) is True
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.WITHDRAWN and bytes(action.sealed_contact) == b""
    assert action.rejection_reason == "Not about this statement."  # the editors' record stays


def test_a_contact_erased_between_reading_and_deciding_is_not_mailed(open_statement):
    action = report(open_statement.statement)
    action_confirm(action_id=action.pk, statement_id=open_statement.statement.pk)
    stale = SolidarityAction.objects.select_related("statement").get(pk=action.pk)
    assert bytes(stale.notice_address)
    # An erasure (or the statement's purge) commits after the editor's page read the row.
    SolidarityAction.objects.filter(pk=action.pk).update(notice_address=b"", contact_email_hash="")
    mails = OutgoingMail.objects.count()
    _mail_outcome(stale, approved=True)
    assert OutgoingMail.objects.count() == mails


def test_reports_never_confirmed_are_deleted_once_their_links_expire(open_statement):
    old = report(open_statement.statement, photo=jpeg())
    confirmed = report(open_statement.statement, city="Braga")
    action_confirm(action_id=confirmed.pk, statement_id=open_statement.statement.pk)
    fresh = report(open_statement.statement, city="Faro")
    eight_days_ago = timezone.now() - dt.timedelta(days=8)
    SolidarityAction.objects.filter(pk__in=[old.pk, confirmed.pk]).update(mailed_at=eight_days_ago)
    photo = SolidarityAction.objects.get(pk=old.pk).photo_id
    assert photo is not None
    assert unconfirmed_reports_delete(now=timezone.now() - dt.timedelta(days=2)) == 0  # links still valid then
    purge_expired()  # the daily purge runs it
    assert not SolidarityAction.objects.filter(pk=old.pk).exists()
    assert not ActionPhoto.objects.filter(pk=photo).exists()
    assert SolidarityAction.objects.filter(pk__in=[confirmed.pk, fresh.pk]).count() == 2


def test_a_report_sent_again_after_its_links_expired_gets_a_new_link(open_statement):
    first = report(open_statement.statement)
    SolidarityAction.objects.filter(pk=first.pk).update(mails_sent=3, mailed_at=timezone.now() - dt.timedelta(hours=1))
    mails = OutgoingMail.objects.count()
    report(open_statement.statement)  # the cap reached, the links still valid: nothing more is sent
    assert OutgoingMail.objects.count() == mails
    SolidarityAction.objects.filter(pk=first.pk).update(mailed_at=timezone.now() - dt.timedelta(days=8))
    again = report(open_statement.statement)
    assert again.pk == first.pk
    assert OutgoingMail.objects.count() == mails + 1
    assert SolidarityAction.objects.get(pk=first.pk).mails_sent == 1


def test_an_organisation_that_left_the_federation_still_withdraws_its_actions(open_statement, member):
    action = SolidarityActionFactory.create(statement=open_statement.statement, organisation=member)
    client = member_client()
    Organisation.objects.filter(pk=member.pk).update(is_member=False, member_since=None)
    page = client.get("/organisations/members/actions/")
    assert page.status_code == 200 and "Lyon" in page.content.decode()
    answer = client.post("/organisations/members/actions/withdraw/", {"action": action.pk}, follow=True)
    assert "The action is withdrawn" in answer.content.decode()
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.WITHDRAWN
