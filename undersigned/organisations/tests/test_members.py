"""Member organisations' contacts: a sign-in link by email, then one click to endorse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from undersigned.commissions.models import Commission
from undersigned.organisations.models import OrganisationContact, SignOn, SignOnTally
from undersigned.organisations.services.members import member_organisations_for
from undersigned.organisations.services.sign_ons import sign_ons_approve
from undersigned.organisations.tests.conftest import member_organisation, sign_on_data
from undersigned.organisations.tokens import sign_in_token
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.testing import editor

pytestmark = pytest.mark.django_db(transaction=True)  # the mail worker reads committed rows


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def sign_in(client, smtp_server, run_tasks, email: str) -> None:
    response = client.post("/organisations/members/sign-in/", {"email": email})
    assert response.status_code == 200
    run_tasks()
    link = path_of(next(link for link in smtp_server.links_in(smtp_server.messages[-1]) if "/sign-in/" in link))
    assert client.get(link).status_code == 200  # opening it signs nobody in
    assert client.get("/organisations/members/").status_code == 302
    assert client.post(link).status_code == 302


def test_a_member_contact_endorses_with_one_click_approved_at_once(client, libraries, smtp_server, run_tasks):
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    first = build_open_statement(libraries)
    second = build_open_statement(libraries, slug="reading-rooms-open-late")
    organisation = member_organisation()
    sign_in(client, smtp_server, run_tasks, "ana@reading-room.example")
    home = client.get("/organisations/members/").content.decode()
    assert "Friends of the Reading Room" in home
    assert home.count("Endorse for <bdi>Friends of the Reading Room</bdi>") == 2
    response = client.post(
        "/organisations/members/", {"statement": second.statement.pk, "organisation": organisation.pk}
    )
    assert response.status_code == 302
    sign_on = SignOn.objects.get()
    assert sign_on.statement == second.statement and sign_on.status == SignOn.Status.APPROVED
    assert sign_on.organisation == organisation and sign_on.via_member_sign_in
    assert "now endorses" in client.get("/organisations/members/").content.decode()
    page = client.get(f"/statements/{second.statement.slug}/").content.decode()
    assert "Friends of the Reading Room" in page.split('id="organisations"', 1)[1]
    assert "Friends of the Reading Room" not in client.get(f"/statements/{first.statement.slug}/").content.decode()
    run_tasks()
    assert "now endorses" in smtp_server.messages[-1]["Subject"]
    # A second click for the same statement stores nothing more.
    client.post("/organisations/members/", {"statement": second.statement.pk, "organisation": organisation.pk})
    assert SignOn.objects.count() == 1
    assert sum(SignOnTally.objects.values_list("approved", flat=True)) == 1


def test_without_the_issuing_bodys_leave_the_endorsement_waits_for_review(client, libraries, smtp_server, run_tasks):
    target = build_open_statement(libraries)
    organisation = member_organisation()
    sign_in(client, smtp_server, run_tasks, "ana@reading-room.example")
    client.post("/organisations/members/", {"statement": target.statement.pk, "organisation": organisation.pk})
    sign_on = SignOn.objects.get()
    assert sign_on.status == SignOn.Status.AWAITING_MODERATION
    assert not SignOnTally.objects.exists()
    sign_ons_approve(actor=editor(libraries), sign_on_ids=[sign_on.pk])
    run_tasks()
    assert "published" in smtp_server.messages[-1]["Subject"]


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, libraries, smtp_server, run_tasks):
    member_organisation()
    known = client.post("/organisations/members/sign-in/", {"email": "ana@reading-room.example"}).content.decode()
    unknown = client.post("/organisations/members/sign-in/", {"email": "ana@elsewhere.example"}).content.decode()
    assert known.replace("ana@reading-room.example", "") == unknown.replace("ana@elsewhere.example", "")
    run_tasks()
    assert [message["To"] for message in smtp_server.messages] == ["ana@reading-room.example"]


def test_a_non_member_domain_or_a_bad_address_signs_nobody_in(client, libraries):
    member_organisation()
    response = client.post("/organisations/members/sign-in/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert member_organisations_for("ana@elsewhere.example") == []


def test_a_sign_in_link_works_once_and_not_when_forged_or_expired(client, libraries, time_machine):
    member_organisation()
    token = sign_in_token("ana@reading-room.example")
    link = f"/organisations/members/sign-in/{token}/"
    assert client.post(f"/organisations/members/sign-in/{token[:-3]}abc/").status_code == 404
    assert client.post(link).status_code == 302
    client.post("/organisations/members/sign-out/")
    used = client.post(link)
    assert used.status_code == 410 and "already used" in used.content.decode()
    later = sign_in_token("ana@reading-room.example")
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    expired = client.post(f"/organisations/members/sign-in/{later}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_a_confirmed_contact_of_an_approved_sign_on_becomes_a_verified_contact(
    client, libraries, smtp_server, run_tasks
):
    organisation = member_organisation()
    target = build_open_statement(libraries)
    data = sign_on_data(
        target, name=organisation.name, country="FR", contact_email="volunteer@gmail.example", website=""
    )
    assert client.post(f"/statements/{target.statement.slug}/sign-on/", data).status_code == 200
    sign_on = SignOn.objects.get()
    assert sign_on.organisation == organisation  # matched to the directory by name and country
    SignOn.objects.filter(pk=sign_on.pk).update(status=SignOn.Status.AWAITING_MODERATION)
    assert member_organisations_for("volunteer@gmail.example") == []
    sign_ons_approve(actor=editor(libraries), sign_on_ids=[sign_on.pk])
    assert OrganisationContact.objects.filter(organisation=organisation, verified_at__isnull=False).count() == 1
    assert member_organisations_for("volunteer@gmail.example") == [organisation]


def test_the_member_page_needs_a_sign_in(client, libraries):
    assert client.get("/organisations/members/").headers["Location"] == "/organisations/members/sign-in/"
    assert client.post("/organisations/members/", {"statement": 1, "organisation": 1}).status_code == 302
