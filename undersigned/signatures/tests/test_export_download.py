"""Downloading a statement's sealed export from the staff workspace: a code of the second factor at
that moment, an audit event and a ledger entry, and only sealed contact data in the file."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from undersigned.commissions.models import CommissionMembership
from undersigned.core.crypto import open_sealed
from undersigned.core.models import AuditEvent
from undersigned.ledger.models import PendingEvent
from undersigned.signatures.tests.conftest import sign
from undersigned.testing import UserFactory, current_code, editor, staff_login

pytestmark = pytest.mark.django_db


def export_url(target) -> str:
    return f"/staff/statements/{target.statement.slug}/export/"


def test_an_editor_downloads_the_sealed_export_with_a_fresh_code(client, open_statement):
    sign(open_statement, email="ada@example.org", name="Ada Lovelace", city="London", confirm=True)
    eli = editor(open_statement.commission)
    staff_login(client, eli)
    page = client.get(export_url(open_statement))
    assert page.status_code == 200 and "The export holds 1 confirmed signature" in page.content.decode()
    # A verified session is not enough: the download asks for a code now.
    refused = client.post(export_url(open_statement), {"code": "000000"})
    assert refused.status_code == 400
    assert "This code is not right" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="signatures.exported").exists()
    TOTPDevice.objects.filter(user=eli).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(export_url(open_statement), {"code": current_code(eli)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'attachment; filename="library-opening-hours-signatures-sealed-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    contents = b"".join(archive.read(name) for name in archive.namelist())
    assert b"ada@example.org" not in contents and b"London" not in contents
    [sealed] = [name for name in archive.namelist() if name.startswith("sealed/")]
    assert b"ada@example.org" in open_sealed(archive.read(sealed), open_statement.identity)
    event = AuditEvent.objects.get(action="signatures.exported")
    assert event.actor == eli and event.detail == {"records": 1, "pending_included": False}
    assert PendingEvent.objects.filter(kind="personal_data.exported").exists()


def test_signatures_nobody_confirmed_are_in_the_download_only_when_ticked(client, open_statement):
    sign(open_statement, email="ada@example.org", confirm=True)
    sign(open_statement, email="typed-by-someone@example.org")
    eli = editor(open_statement.commission)
    staff_login(client, eli)
    page = client.get(export_url(open_statement)).content.decode()
    assert "The export holds 1 confirmed signature" in page
    assert "Also the 1 signature not confirmed yet" in page

    def sealed_files(response) -> int:
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        return sum(name.startswith("sealed/") for name in archive.namelist())

    assert sealed_files(client.post(export_url(open_statement), {"code": current_code(eli)})) == 1
    TOTPDevice.objects.filter(user=eli).update(last_t=-1)  # the same code may not be used twice
    ticked = client.post(export_url(open_statement), {"code": current_code(eli), "include_pending": "yes"})
    assert sealed_files(ticked) == 2
    exports = AuditEvent.objects.filter(action="signatures.exported").order_by("pk")
    details = list(exports.values_list("detail", flat=True))
    assert details == [{"records": 1, "pending_included": False}, {"records": 2, "pending_included": True}]


def test_moderators_viewers_and_other_commissions_cannot_download(client, open_statement, mobility):
    sign(open_statement, email="ada@example.org", confirm=True)
    # Who may see the statement is refused (403); who may not (a translator with no assignment to it,
    # an editor of another commission) is told what a missing statement would tell them (404).
    for role, refusal in (("moderator", 403), ("viewer", 403), ("translator", 404)):
        user = UserFactory.create()
        CommissionMembership.objects.create(commission=open_statement.commission, user=user, role=role)
        staff_login(client, user)
        assert client.get(export_url(open_statement)).status_code == refusal
        assert client.post(export_url(open_statement), {"code": current_code(user)}).status_code == refusal
    staff_login(client, editor(mobility))
    assert client.post(export_url(open_statement), {"code": "123456"}).status_code == 404
    assert not AuditEvent.objects.filter(action="signatures.exported").exists()


def test_without_a_verified_second_factor_the_page_asks_for_one(open_statement):
    eli = editor(open_statement.commission)
    staff_login(Client(), eli)  # gives Eli an authenticator
    client = Client()
    client.force_login(eli)
    response = client.get(export_url(open_statement))
    assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/second-factor/")
