"""Reports by organisations that are not members: the public form, the contact's confirmation by
email, the editors' review (always) with the outcome mailed, and withdrawal from the mail's link;
every bad input refused with its message and nothing stored."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from undersigned.actions.models import ActionPhoto, SolidarityAction
from undersigned.actions.services import ACTION_FORM_TIMER, actions_approve, actions_reject
from undersigned.actions.tests.conftest import days_from_today
from undersigned.actions.tokens import ActionRef, confirm_action_token, withdraw_action_token
from undersigned.commissions.models import Commission
from undersigned.core.audit import events_for
from undersigned.core.crypto import open_sealed
from undersigned.statements.services import statement_withdraw
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db(transaction=True)  # the mail worker reads committed rows

CONTACT = "lin@harbour-choir.example"


def open_url(target) -> str:
    return f"/statements/{target.statement.slug}/actions/report/organisation/"


def started(seconds_ago: int = 10) -> str:
    return ACTION_FORM_TIMER.started_token(drawn_at=time.time() - seconds_ago)


def open_data(**fields: Any) -> dict[str, Any]:
    """What a browser without JavaScript posts to the public report form."""
    return {
        "organisation_name": "Harbour Community Choir",
        "organisation_website": "https://harbour-choir.example",
        "contact_name": "Lin Contact",
        "contact_role": "Secretary",
        "contact_email": CONTACT,
        "kind": "vigil",
        "date": days_from_today(0).isoformat(),
        "city": "Porto",
        "country": "PT",
        "description": "An evening vigil by the river, with the statement read aloud in three languages.",
        "description_language": "en",
        "link": "",
        "participants": "40",
        "started": started(),
        "fax": "",
        **fields,
    }


def links_of(smtp_server, index: int = -1) -> list[str]:
    return smtp_server.links_in(smtp_server.messages[index])


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def public_list(client: Client, target) -> str:
    return client.get(f"/statements/{target.statement.slug}/actions/").content.decode()


def reported(client: Client, target, smtp_server, run_tasks, **fields: Any) -> SolidarityAction:
    answer = client.post(open_url(target), open_data(**fields))
    assert answer.status_code == 200, answer.content.decode()[:2000]
    assert "Check your email" in answer.content.decode()
    run_tasks()
    return SolidarityAction.objects.get()


def confirmed(client: Client, target, smtp_server, run_tasks, **fields: Any) -> SolidarityAction:
    action = reported(client, target, smtp_server, run_tasks, **fields)
    confirm = next(link for link in links_of(smtp_server) if "/actions/confirm/" in link)
    assert client.get(path_of(confirm)).status_code == 200  # a mail scanner opening it changes nothing
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.PENDING
    answer = client.post(path_of(confirm))
    assert answer.status_code == 200 and "Report confirmed" in answer.content.decode()
    action.refresh_from_db()
    return action


def test_the_report_is_stored_pending_sealed_and_mailed(client, open_statement, smtp_server, run_tasks):
    action = reported(client, open_statement, smtp_server, run_tasks, photo=io.BytesIO(jpeg_bytes()))
    assert action.status == SolidarityAction.Status.PENDING
    assert action.organisation is None and action.organisation_shown == "Harbour Community Choir"
    assert action.organisation_website == "https://harbour-choir.example"
    assert not action.via_member_sign_in and action.photo is not None
    contact = json.loads(open_sealed(bytes(action.sealed_contact), open_statement.identity))
    assert (contact["name"], contact["role"], contact["email"]) == ("Lin Contact", "Secretary", CONTACT)
    assert CONTACT.encode() not in bytes(action.sealed_contact)
    assert action.contact_email_hash and bytes(action.notice_address)
    [mail] = smtp_server.messages
    assert mail["To"] == CONTACT
    assert "Confirm your organisation's report of an action" in mail["Subject"]
    assert any("/actions/withdraw/" in link for link in links_of(smtp_server))
    # Not public, not in the editors' queue, until confirmed.
    assert "An evening vigil" not in public_list(client, open_statement)
    [event] = events_for(action).filter(action="solidarity_action.reported")
    assert event.detail["organisation"] is None and event.detail["without_review"] is False


def test_confirmed_reports_wait_for_the_editors_even_where_members_skip_review(
    client, open_statement, smtp_server, run_tasks
):
    Commission.objects.filter(pk=open_statement.statement.commission_id).update(members_skip_review=True)
    action = confirmed(client, open_statement, smtp_server, run_tasks)
    assert action.status == SolidarityAction.Status.AWAITING_MODERATION and action.confirmed_at is not None
    staff = Client()
    staff_login(staff, editor(open_statement.statement.commission))
    queue = staff.get("/staff/actions/").content.decode()
    assert "Harbour Community Choir" in queue and "Not a member: reported through the public form" in queue
    assert "https://harbour-choir.example" in queue
    assert events_for(action).filter(action="solidarity_action.confirmed").count() == 1
    # Confirming again changes nothing.
    confirm = next(link for link in links_of(smtp_server, 0) if "/actions/confirm/" in link)
    assert client.post(path_of(confirm)).status_code == 200
    assert events_for(action).filter(action="solidarity_action.confirmed").count() == 1


def test_approval_publishes_it_mails_the_contact_and_forgets_the_address(
    client, open_statement, smtp_server, run_tasks, libraries
):
    action = confirmed(client, open_statement, smtp_server, run_tasks)
    outcome = actions_approve(actor=editor(libraries), action_ids=[action.pk])
    assert outcome.changed == 1
    run_tasks()
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.APPROVED and bytes(action.notice_address) == b""
    mail = smtp_server.messages[-1]
    assert mail["To"] == CONTACT and "Your organisation's action is listed" in mail["Subject"]
    assert any(link.endswith(f"/statements/{open_statement.statement.slug}/actions/") for link in links_of(smtp_server))
    page = client.get(f"/statements/{open_statement.statement.slug}/actions/").content.decode()
    assert "Harbour Community Choir" in page and "An evening vigil" in page


def test_rejection_mails_the_outcome_but_not_the_editors_reason(
    client, open_statement, smtp_server, run_tasks, libraries
):
    action = confirmed(client, open_statement, smtp_server, run_tasks)
    actions_reject(actor=editor(libraries), action_ids=[action.pk], reason="Not about this statement at all.")
    run_tasks()
    mail = smtp_server.messages[-1]
    assert "is not listed" in mail["Subject"]
    assert "Not about this statement" not in mail.as_string()
    action.refresh_from_db()
    assert bytes(action.notice_address) == b""


def test_the_contact_withdraws_a_published_action_from_the_link(
    client, open_statement, smtp_server, run_tasks, libraries
):
    action = confirmed(client, open_statement, smtp_server, run_tasks, photo=io.BytesIO(jpeg_bytes()))
    actions_approve(actor=editor(libraries), action_ids=[action.pk])
    photo_sha = action.photo_id
    withdraw = path_of(next(link for link in links_of(smtp_server, 0) if "/actions/withdraw/" in link))
    assert client.get(withdraw).status_code == 200
    answer = client.post(withdraw)
    assert answer.status_code == 200 and "This action is not listed with the statement" in answer.content.decode()
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.WITHDRAWN and action.withdrawn_at is not None
    assert action.photo is None and not ActionPhoto.objects.filter(pk=photo_sha).exists()
    assert bytes(action.sealed_contact) == b""
    assert client.get(f"/actions/photos/{photo_sha}").status_code == 404
    assert "An evening vigil" not in public_list(client, open_statement)
    assert events_for(action).filter(action="solidarity_action.withdrawn").count() == 1
    # Withdrawing again, or confirming after, changes nothing.
    assert client.post(withdraw).status_code == 200
    confirm = next(link for link in links_of(smtp_server, 0) if "/actions/confirm/" in link)
    assert client.post(path_of(confirm)).status_code == 410
    assert events_for(action).filter(action="solidarity_action.withdrawn").count() == 1


def test_the_same_form_sent_twice_stores_one_report(client, open_statement, smtp_server, run_tasks):
    data = open_data()
    assert client.post(open_url(open_statement), data).status_code == 200
    assert client.post(open_url(open_statement), data).status_code == 200
    run_tasks()
    assert SolidarityAction.objects.count() == 1
    assert len(smtp_server.messages) == 1  # the second, a moment later, mails nothing more


def test_a_member_report_link_is_not_a_contact_link(client, open_statement, member):
    from undersigned.actions.tests.factories import SolidarityActionFactory

    action = SolidarityActionFactory.create(statement=open_statement.statement, organisation=member)
    ref = ActionRef(action_id=action.pk, statement_id=open_statement.statement.pk)
    assert client.post(f"/actions/withdraw/{withdraw_action_token(ref)}/").status_code == 404
    assert client.post(f"/actions/confirm/{confirm_action_token(ref)}/").status_code == 404
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.APPROVED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("organisation_name", "", "This field is required."),
        ("organisation_name", "1234 !!", "needs letters in it"),
        ("organisation_name", "Choir <b>", "cannot contain &lt; or &gt;"),
        ("organisation_website", "javascript:alert(1)", "Enter a valid URL."),
        ("contact_name", "", "This field is required."),
        ("contact_email", "not-an-address", "Enter a valid email address."),
        ("date", days_from_today(400).isoformat(), "more than a year ahead"),
        ("link", "ftp://files.example/report", "starts with http:// or https://"),
        ("description", "x" * 1001, "1000 characters or fewer"),
        ("participants", "0", "from 1 to 9,999,999"),
        ("country", "XX", "Choose your country from the list."),
        ("kind", "picnic", "Select a valid choice"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(client, open_statement, field, value, message, run_tasks):
    answer = client.post(open_url(open_statement), open_data(**{field: value}))
    assert answer.status_code == 400, answer.status_code
    page = answer.content.decode()
    assert message in page, page[:3000]
    assert not SolidarityAction.objects.exists()
    run_tasks()
    assert not ActionPhoto.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(client, open_statement):
    answer = client.post(open_url(open_statement), open_data(photo=io.BytesIO(b"%PDF-1.4 not an image")))
    assert answer.status_code == 400
    assert not SolidarityAction.objects.exists() and not ActionPhoto.objects.exists()


def test_a_form_sent_back_too_fast_keeps_what_was_typed(client, open_statement):
    answer = client.post(open_url(open_statement), open_data(started=started(seconds_ago=0)))
    assert answer.status_code in (400, 429)
    page = answer.content.decode()
    assert "Harbour Community Choir" in page
    assert not SolidarityAction.objects.exists()


def test_a_filled_honeypot_stores_nothing(client, open_statement):
    answer = client.post(open_url(open_statement), open_data(fax="buy now"))
    assert answer.status_code >= 400
    assert not SolidarityAction.objects.exists()


def test_the_network_limit_refuses_with_a_page(client, open_statement, rate_limit):
    rate_limit("action_report.network.statement", 1)
    assert client.post(open_url(open_statement), open_data()).status_code == 200
    answer = client.post(open_url(open_statement), open_data(city="Braga"))
    assert answer.status_code == 429 and "Too many reports from your network" in answer.content.decode()
    assert SolidarityAction.objects.count() == 1


def test_an_oversized_upload_is_refused_unread(client, open_statement):
    answer = client.post(open_url(open_statement), open_data(photo=io.BytesIO(b"\0" * (8 * 1024 * 1024 + 70 * 1024))))
    assert answer.status_code == 413 and "larger than 8 MB" in answer.content.decode()
    assert not SolidarityAction.objects.exists()


def test_a_post_from_another_site_is_refused(open_statement):
    answer = Client().post(open_url(open_statement), open_data(), headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403
    assert not SolidarityAction.objects.exists()


def test_a_withdrawn_statement_takes_no_reports_and_no_confirmations(client, open_statement, smtp_server, run_tasks):
    action = reported(client, open_statement, smtp_server, run_tasks)
    statement_withdraw(actor=None, statement=open_statement.statement)
    answer = client.post(open_url(open_statement), open_data(city="Braga"))
    assert answer.status_code == 410, answer.status_code
    confirm = next(link for link in links_of(smtp_server) if "/actions/confirm/" in link)
    assert client.post(path_of(confirm)).status_code in (404, 410)
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.PENDING


def test_a_forged_or_cut_link_gets_the_link_page(client):
    for address in ("/actions/confirm/not-a-token/", "/actions/withdraw/abc/def", "/actions/confirm/"):
        answer = client.get(address)
        assert answer.status_code == 404, (address, answer.status_code)
        page = answer.content.decode()
        assert "with the same contact address" in page or "page of their data" in page


# --- The contact's data: shown, downloaded, erased, purged -------------------------------------


def test_the_contact_finds_the_report_on_their_data_page_and_withdraws_it(
    client, open_statement, smtp_server, run_tasks
):
    from undersigned.privacy.tests.conftest import link_path

    action = reported(client, open_statement, smtp_server, run_tasks)
    page = client.get(link_path(CONTACT))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Actions you reported for an organisation" in text and "Harbour Community Choir" in text
    data = json.loads(client.get(link_path(CONTACT) + "my-data.json").content)
    [row] = data["reported_actions"]
    assert row["organisation"] == "Harbour Community Choir" and row["status"] == "pending"
    assert row["sealed_contact_bytes"] > 0 and row["address_kept_for_the_review_notice"] is True
    withdraw = next(line for line in text.split('"') if line.startswith("/actions/withdraw/"))
    assert client.post(withdraw).status_code == 200
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.WITHDRAWN


def test_erasing_the_contacts_records_keeps_the_action_and_forgets_the_contact(
    client, open_statement, smtp_server, run_tasks, libraries
):
    from undersigned.privacy.tests.conftest import link_path

    action = confirmed(client, open_statement, smtp_server, run_tasks)
    actions_approve(actor=editor(libraries), action_ids=[action.pk])
    answer = client.post(link_path(CONTACT) + "erase/", {"confirm": "on"})
    assert answer.status_code in (200, 302)
    action.refresh_from_db()
    assert action.status == SolidarityAction.Status.APPROVED and action.organisation_name == "Harbour Community Choir"
    assert (action.contact_email_hash, bytes(action.sealed_contact), action.network_hash) == ("", b"", "")
    event = events_for(open_statement.statement).filter(action="privacy.records_erased").get()
    assert event.detail["actions"] == 1
    assert "Actions you reported" not in client.get(link_path(CONTACT)).content.decode()


def test_the_statements_purge_forgets_the_contacts_of_its_actions(client, open_statement, smtp_server, run_tasks):
    from django.utils import timezone

    from undersigned.privacy.selectors import DuePurge, personal_records_of
    from undersigned.privacy.services import statement_purge

    action = reported(client, open_statement, smtp_server, run_tasks)
    assert personal_records_of(open_statement.statement).actions == 1
    now = timezone.now()
    statement_purge(due=DuePurge(statement=open_statement.statement, deadline=now), now=now)
    action.refresh_from_db()
    assert (action.contact_email_hash, bytes(action.sealed_contact), bytes(action.notice_address)) == ("", b"", b"")
    assert personal_records_of(open_statement.statement).actions == 0
    event = events_for(open_statement.statement).filter(action="statement.personal_data_purged").get()
    assert event.detail["action_contacts"] == 1


def test_the_contacts_daily_mail_budget_is_shared_with_the_other_forms(client, open_statement, rate_limit):
    rate_limit("mail.recipient.daily", 1)
    assert client.post(open_url(open_statement), open_data()).status_code == 200
    answer = client.post(open_url(open_statement), open_data(city="Braga"))
    assert answer.status_code == 429 and "We have already sent several emails to this address today" in (
        answer.content.decode()
    )
    assert SolidarityAction.objects.count() == 1
