"""A seized server reveals no organisation's contact: after a whole sign-on (submit, mail,
confirm, review, outcome mail), the contact's address, name and role are nowhere in the database
or the logs; only the trustees' keys open them."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest
from django.db import connection

from undersigned.core.crypto import open_sealed
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.sign_ons import sign_ons_approve
from undersigned.organisations.tests.conftest import sign_on_data
from undersigned.signatures.tests.test_privacy import postgresql_dump
from undersigned.testing import editor

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT = {
    "contact_name": "Ysolde Kvarnström-Achebe",
    "contact_role": "Keeper of Lanternbooks",
    "contact_email": "Ysolde.Kvarnstrom@Lantern-Guild.EXAMPLE",
}
SECRETS = [CONTACT["contact_name"], CONTACT["contact_role"], CONTACT["contact_email"], CONTACT["contact_email"].lower()]


def database_contents() -> bytes:
    if connection.vendor == "postgresql":
        return postgresql_dump()
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump()).encode()


def test_no_contact_detail_is_stored_or_logged_after_a_whole_sign_on(
    client, open_statement, smtp_server, run_tasks, caplog
):
    for logger in (None, "django_tasks", "undersigned"):
        caplog.set_level(logging.DEBUG, logger=logger)
    response = client.post(
        f"/statements/{open_statement.statement.slug}/sign-on/", sign_on_data(open_statement, **CONTACT)
    )
    assert response.status_code == 200
    run_tasks()
    confirm = next(link for link in smtp_server.links_in(smtp_server.messages[-1]) if "/sign-ons/confirm/" in link)
    assert client.post(urlsplit(confirm).path).status_code == 200
    sign_on = SignOn.objects.get()
    sign_ons_approve(actor=editor(open_statement.commission), sign_on_ids=[sign_on.pk])
    run_tasks()
    assert [message["To"] for message in smtp_server.messages] == [CONTACT["contact_email"]] * 2

    # "mail.log" is aiosmtpd's, the stand-in for the outside mail server, which is told the address.
    records = [record for record in caplog.records if record.name != "mail.log"]
    assert any(record.name == "django_tasks" for record in records)  # the capture saw the journey
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in records)
    contents = database_contents()
    assert b"organisations_signon" in contents  # the dump is of the database that holds it
    for secret in SECRETS:
        assert secret.encode() not in contents, f"{secret!r} is in the database"
        assert secret not in logged, f"{secret!r} is in the logs"
    opened = json.loads(open_sealed(bytes(SignOn.objects.get().sealed_contact), open_statement.identity))
    assert opened["email"] == CONTACT["contact_email"] and opened["name"] == CONTACT["contact_name"]
