"""The page behind the link: what is held in the clear, the JSON download, withdrawing, and
erasing, which leaves nothing that leads back to the person and every count as it was."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from undersigned.core.models import AuditEvent
from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.privacy.selectors import ERASED_PREFIX
from undersigned.privacy.tests.conftest import assert_counts_are_honest, link_path, signed_on
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tests.conftest import build_open_statement, sign

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"


def erase(client, email: str = ADA, **fields):
    return client.post(link_path(email) + "erase/", {"confirm": "on", **fields})


def test_the_page_shows_what_is_held_in_the_clear(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True, name="Ada Lovelace", wants_updates=True, city="Zeravshan")
    page = client.get(link_path(ADA))
    assert page.status_code == 200
    html = page.content.decode()
    for shown in (open_statement.revision.title, "Confirmed", "United Kingdom", "Ada Lovelace", signature.public_id):
        assert shown in html
    assert "Yes, you asked for them" in html
    assert "sealed" in html and "cannot read them" in html
    assert ADA not in html
    assert "Zeravshan" not in html  # sealed: the server cannot show it
    assert "no-cache" in page.headers["Cache-Control"]
    assert page.headers["X-Robots-Tag"] == "noindex"


def test_the_download_holds_the_same_records(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True, country="FR", city="Zeravshan")
    download = client.get(link_path(ADA) + "my-data.json")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json; charset=utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(download.content)
    (record,) = data["signatures"]
    assert record["receipt"] == signature.public_id
    assert record["statement"] == open_statement.statement.slug
    assert (record["status"], record["country"], record["display_name"]) == ("confirmed", "FR", "Ada Lovelace")
    assert record["confirmed_at"] is not None
    assert record["sealed_contact_bytes"] > 0
    assert "sealed" in data["about"]
    assert ADA not in download.content.decode()
    assert "Zeravshan" not in download.content.decode()


def test_a_signer_withdraws_from_the_page(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True)
    assert tally_for_statement(open_statement.statement.pk).total == 1
    # The button asks first, as erasing does; nothing changes until the answer.
    asked = client.post(link_path(ADA) + "withdraw/", {"kind": "signature", "receipt": signature.public_id})
    assert asked.status_code == 200
    assert "Withdraw this signature?" in asked.content.decode()
    assert 'name="confirmed" value="yes"' in asked.content.decode()
    assert Signature.objects.get(pk=signature.pk).status == Signature.Status.CONFIRMED
    answer = client.post(
        link_path(ADA) + "withdraw/", {"kind": "signature", "receipt": signature.public_id, "confirmed": "yes"}
    )
    assert answer.status_code == 200
    assert "It is withdrawn." in answer.content.decode()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert bytes(signature.sealed_contact) == b""
    assert tally_for_statement(open_statement.statement.pk).total == 0
    again = client.post(
        link_path(ADA) + "withdraw/", {"kind": "signature", "receipt": signature.public_id, "confirmed": "yes"}
    )
    assert "It was already withdrawn." in again.content.decode()
    assert_counts_are_honest()


def test_someone_elses_receipt_cannot_be_withdrawn(client, open_statement):
    sign(open_statement, email=ADA, confirm=True)
    other = sign(open_statement, email="bob@example.org", confirm=True)
    for confirmed in ("", "yes"):
        answer = client.post(
            link_path(ADA) + "withdraw/", {"kind": "signature", "receipt": other.public_id, "confirmed": confirmed}
        )
        assert answer.status_code == 404
    assert answer.status_code == 404
    other.refresh_from_db()
    assert other.status == Signature.Status.CONFIRMED


def test_a_contact_withdraws_a_sign_on(client, open_statement, sam):
    sign_on = signed_on(open_statement, contact_email="rosa@readers.example.org", approve_by=sam)
    answer = client.post(
        link_path("rosa@readers.example.org") + "withdraw/",
        {"kind": "sign_on", "receipt": sign_on.public_id, "confirmed": "yes"},
    )
    assert answer.status_code == 200
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.WITHDRAWN
    assert_counts_are_honest()


def test_erasing_needs_the_box_ticked(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True)
    answer = client.post(link_path(ADA) + "erase/", {})
    assert answer.status_code == 400
    assert "Tick the box" in answer.content.decode()
    assert Signature.objects.get(pk=signature.pk).email_hash == email_hash(ADA)


def test_erasing_leaves_nothing_that_leads_back_and_keeps_the_count(client, open_statement, mobility):
    second = build_open_statement(mobility, slug="safe-cycling-lanes")
    confirmed = sign(open_statement, email=ADA, confirm=True, name="Ada Lovelace", wants_updates=True)
    pending = sign(second, email=ADA, name="Ada Lovelace")
    bob = sign(open_statement, email="bob@example.org", confirm=True, name="Bob Berg")
    before = tally_for_statement(open_statement.statement.pk, fresh=True)

    answer = erase(client)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Your records are erased" in html
    assert "This site holds nothing else about this email address." in html
    assert "erased signatures keep only a one-way code of your address" in html
    for original in (confirmed, pending):
        erased = Signature.objects.get(pk=original.pk)
        # Only the keyed address hash stays, until the purge, so that the address cannot sign twice.
        assert erased.email_hash == email_hash(ADA) and erased.erased_at is not None
        assert (bytes(erased.sealed_contact), erased.display_name, erased.network_hash, erased.name_key) == (
            b"",
            "",
            "",
            "",
        )
        assert (erased.name_shown, erased.wants_updates) == (Signature.NameShown.HIDDEN, False)
        # What the count and the ledger rest on stays.
        assert (erased.status, erased.country, erased.public_id) == (
            original.status,
            original.country,
            original.public_id,
        )
        assert (erased.created_at, erased.confirmed_at) == (original.created_at, original.confirmed_at)
    assert tally_for_statement(open_statement.statement.pk, fresh=True) == before
    assert Signature.objects.get(pk=bob.pk).email_hash == email_hash("bob@example.org")
    signers = client.get(f"/statements/{open_statement.statement.slug}/signatures/").content.decode()
    assert "Bob Berg" in signers and "Ada Lovelace" not in signers
    assert_counts_are_honest()


def test_erasing_is_audited_without_personal_data(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True)
    erase(client)
    (event,) = AuditEvent.objects.filter(action="privacy.records_erased")
    assert (event.subject_type, event.subject_id, event.actor) == ("statement", open_statement.statement.pk, None)
    assert event.detail == {"signatures": 1, "sign_ons": 0, "actions": 0}
    stored = json.dumps(event.detail)
    for personal in (ADA, email_hash(ADA), signature.public_id, signature.network_hash):
        assert personal not in stored


def test_the_same_link_then_finds_nothing(client, open_statement):
    sign(open_statement, email=ADA, confirm=True)
    erase(client)
    page = client.get(link_path(ADA))
    assert page.status_code == 200
    assert "This site holds nothing else about this email address." in page.content.decode()
    data = json.loads(client.get(link_path(ADA) + "my-data.json").content)
    assert data["signatures"] == []
    assert [row["statement"] for row in data["erased_signatures"]] == [open_statement.statement.slug]
    assert erase(client).status_code == 200
    assert AuditEvent.objects.filter(action="privacy.records_erased").count() == 1  # nothing more to erase


def test_erasing_covers_sign_ons_and_directory_contacts(client, open_statement, sam):
    from undersigned.organisations.services.directory import OrganisationInput, contact_add, organisation_save
    from undersigned.organisations.tests.conftest import kind

    rosa = "rosa@readers.example.org"
    approved = signed_on(open_statement, contact_email=rosa, approve_by=sam)
    member = organisation_save(
        actor=None,
        organisation=None,
        data=OrganisationInput(name="Readers' Network", short_name="", country="ES", type=kind(), is_member=True),
    )
    contact_add(actor=None, organisation=member, name="Rosa Contact", role="Coordinator", email=rosa)
    assert "Readers&#x27; Network" in client.get(link_path(rosa)).content.decode()

    erase(client, rosa)

    sign_on = SignOn.objects.get(pk=approved.pk)
    assert sign_on.contact_email_hash.startswith(ERASED_PREFIX)
    assert (bytes(sign_on.sealed_contact), bytes(sign_on.notice_address), sign_on.network_hash) == (b"", b"", "")
    assert (sign_on.status, sign_on.name, sign_on.country) == (SignOn.Status.APPROVED, approved.name, approved.country)
    assert not OrganisationContact.objects.filter(organisation=member).exists()
    assert AuditEvent.objects.filter(action="privacy.contact_erased", subject_id=member.pk).exists()
    assert_counts_are_honest()


@pytest.mark.parametrize("suffix", ["", "my-data.json"])
def test_a_forged_or_altered_link_gets_a_clear_page(client, open_statement, suffix):
    sign(open_statement, email=ADA, confirm=True)
    path = link_path(ADA)
    token = path.split("/")[2]
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in ("not-a-token", altered, token.replace(":", ""), "x" * 500):
        answer = client.get(f"/your-data/{bad}/{suffix}")
        assert answer.status_code == 404
        assert "This link does not work" in answer.content.decode()


def test_a_forged_link_erases_nothing(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True)
    token = link_path(ADA).split("/")[2]
    assert client.post(f"/your-data/{token[:-2]}xx/erase/", {"confirm": "on"}).status_code == 404
    assert Signature.objects.get(pk=signature.pk).email_hash == email_hash(ADA)


def test_an_expired_link_says_so(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True)
    path = link_path(ADA)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        page = client.get(path)
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
        assert client.post(path + "erase/", {"confirm": "on"}).status_code == 410
    assert Signature.objects.get(pk=signature.pk).email_hash == email_hash(ADA)
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert client.get(path).status_code == 200


def test_an_erased_address_cannot_sign_again_and_be_counted_twice(client, open_statement):
    sign(open_statement, email=ADA, confirm=True, name="Ada Lovelace")
    erase(client)
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 1
    sign(open_statement, email=ADA, name="Ada Lovelace")  # signs again, as anyone may try
    assert Signature.objects.filter(statement=open_statement.statement).count() == 1
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 1
    assert_counts_are_honest()


def test_the_purge_then_takes_the_address_hash_of_erased_signatures_too(client, open_statement):
    from undersigned.privacy.selectors import DuePurge
    from undersigned.privacy.services import statement_purge

    signature = sign(open_statement, email=ADA, confirm=True)
    erase(client)
    now = timezone.now()
    statement_purge(due=DuePurge(statement=open_statement.statement, deadline=now), now=now)
    assert Signature.objects.get(pk=signature.pk).email_hash.startswith(ERASED_PREFIX)


def test_signing_again_after_withdrawing_and_erasing_is_shown_and_can_be_erased_again(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True, name="Ada Lovelace")
    client.post(link_path(ADA) + "withdraw/", {"receipt": signature.public_id, "confirmed": "yes"})
    erase(client)
    sign(open_statement, email=ADA, name="Ada Again", name_shown="full")
    page = client.get(link_path(ADA)).content.decode()
    assert "Ada Again" in page
    erase(client)
    again = Signature.objects.get(pk=signature.pk)
    assert again.erased_at is not None and again.display_name == "" and bytes(again.sealed_contact) == b""


@pytest.mark.parametrize("receipt", ["ab\x00cd", "x" * 500, "<script>", "", "ÄÖÜ"])
def test_any_receipt_sent_to_withdraw_gets_a_clear_answer(client, open_statement, receipt):
    signature = sign(open_statement, email=ADA, confirm=True)
    for kind in ("signature", "sign_on"):
        for confirmed in ("", "yes"):
            response = client.post(
                link_path(ADA) + "withdraw/", {"receipt": receipt, "kind": kind, "confirmed": confirmed}
            )
            assert response.status_code == 404
            assert "not among yours" in response.content.decode()
    assert Signature.objects.get(pk=signature.pk).status == Signature.Status.CONFIRMED


def test_a_signer_stops_updates_and_keeps_the_signature(client, open_statement):
    signature = sign(open_statement, email=ADA, confirm=True, wants_updates=True)
    page = client.get(link_path(ADA)).content.decode()
    assert "Stop updates, keep my signature" in page
    response = client.post(link_path(ADA) + "stop-updates/", {"receipt": signature.public_id})
    assert response.status_code == 200
    assert "You will get no more updates about this statement." in response.content.decode()
    stopped = Signature.objects.get(pk=signature.pk)
    assert (stopped.wants_updates, stopped.status) == (False, Signature.Status.CONFIRMED)
    assert "Stop updates, keep my signature" not in response.content.decode()
    other = sign(open_statement, email="bob@example.org", confirm=True, wants_updates=True)
    refused = client.post(link_path(ADA) + "stop-updates/", {"receipt": other.public_id})
    assert refused.status_code == 404
    assert Signature.objects.get(pk=other.pk).wants_updates
    assert client.post(link_path(ADA) + "stop-updates/", {"receipt": "\x00"}).status_code == 404
