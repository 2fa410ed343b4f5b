"""Organisations' sealed data follows its trustees too: sign-ons are sealed to the statement's issuing
body and contacts to the federation, each names the key set it is sealed to, and ``reseal`` moves
them when the trustees change (and a contact remembered from a commission's sign-on to the
federation's trustees)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from undersigned.core.crypto import open_sealed
from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.organisations.services.directory import contact_add
from undersigned.organisations.services.members import member_endorse
from undersigned.organisations.services.sign_ons import SignOnInput, sign_on_record, sign_on_withdraw, sign_ons_approve
from undersigned.organisations.tests.conftest import kind, member_organisation
from undersigned.sealing.selectors import current_sealing_keys, forget_sealing_keys
from undersigned.testing import editor, secretariat, trustee_for

pytestmark = pytest.mark.django_db


def reseal(tmp_path, identity: str) -> str:
    key = tmp_path / "trustee.key"
    key.write_text(f"{identity}\n", encoding="ascii")
    out = io.StringIO()
    call_command("reseal", "--identity", str(key), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def opens(sealed: bytes | memoryview, identity: str) -> bool:
    try:
        open_sealed(bytes(sealed), identity)
    except Exception:  # pyrage's DecryptError
        return False
    return True


def submitted_sign_on(target, *, network_hash: str = "n" * 64, language: str = "en", **fields: str) -> SignOn:
    data = {
        "name": "Neighbourhood Readers' Association",
        "country": "ES",
        "website": "https://readers.example.org",
        "contact_name": "Rosa Contact",
        "contact_role": "Coordinator",
        "contact_email": "rosa@readers.example.org",
        **fields,
    }
    return sign_on_record(
        statement=target.statement,
        revision=target.revision,
        data=SignOnInput(type=kind(), **data),
        network_hash=network_hash,
        language=language,
    )


def test_sign_ons_and_contacts_name_the_key_set_they_are_sealed_to(open_statement):
    sign_on = submitted_sign_on(open_statement)
    contact = contact_add(
        actor=secretariat(),
        organisation=member_organisation(),
        name="Ana",
        role="Chair",
        email="ana@reading-room.example",
    )

    assert sign_on.sealed_to == current_sealing_keys(open_statement.commission.pk).fingerprint
    assert contact.sealed_to == current_sealing_keys(None).fingerprint
    assert contact.sealed_to != sign_on.sealed_to


def test_reseal_moves_sign_ons_to_the_commissions_new_trustees_and_skips_withdrawn_ones(open_statement, tmp_path):
    sign_on = submitted_sign_on(open_statement)
    withdrawn = submitted_sign_on(
        open_statement,
        network_hash="m" * 64,
        language="fr",
        name="Second Association",
        country="FR",
        website="",
        contact_name="Rémi",
        contact_role="",
        contact_email="remi@second.example.org",
    )
    sign_on_withdraw(sign_on_id=withdrawn.pk, statement_id=open_statement.statement.pk)
    _, newcomer = trustee_for(open_statement.commission, name="Nell Newcomer")
    forget_sealing_keys()

    out = reseal(tmp_path, open_statement.identity)

    sign_on.refresh_from_db()
    assert sign_on.sealed_to == current_sealing_keys(open_statement.commission.pk).fingerprint
    assert json.loads(open_sealed(bytes(sign_on.sealed_contact), newcomer))["email"] == "rosa@readers.example.org"
    assert bytes(SignOn.objects.get(pk=withdrawn.pk).sealed_contact) == b""
    assert "re-sealed 1 record(s)" in out


def test_a_contact_remembered_from_a_commissions_sign_on_is_moved_to_the_federations_trustees(open_statement, tmp_path):
    _, federation_identity = trustee_for(None, name="Fay Federation")
    forget_sealing_keys()
    organisation = member_organisation()
    sign_on = member_endorse(
        statement=open_statement.statement, organisation=organisation, email="ana@reading-room.example", language="en"
    )
    sign_ons_approve(actor=editor(open_statement.commission), sign_on_ids=[sign_on.pk])
    contact = OrganisationContact.objects.get(organisation=organisation)
    # The server could not seal it again: it keeps the sign-on's copy, and says to whom it is sealed.
    assert contact.sealed_to == current_sealing_keys(open_statement.commission.pk).fingerprint
    assert not opens(contact.sealed_contact, federation_identity)

    reseal(tmp_path, open_statement.identity)

    contact.refresh_from_db()
    assert contact.sealed_to == current_sealing_keys(None).fingerprint
    assert opens(contact.sealed_contact, federation_identity)
    assert not opens(contact.sealed_contact, open_statement.identity)
    assert json.loads(open_sealed(bytes(contact.sealed_contact), federation_identity))["email"] == (
        "ana@reading-room.example"
    )


def test_contacts_follow_a_change_of_the_federations_trustees(open_statement, tmp_path):
    _, federation_identity = trustee_for(None, name="Fay Federation")
    forget_sealing_keys()
    contact = contact_add(
        actor=secretariat(),
        organisation=member_organisation(),
        name="Ana",
        role="Chair",
        email="ana@reading-room.example",
    )
    _, newcomer = trustee_for(None, name="Nell Newcomer")
    forget_sealing_keys()
    assert not opens(contact.sealed_contact, newcomer)

    out = reseal(tmp_path, federation_identity)

    contact.refresh_from_db()
    assert opens(contact.sealed_contact, newcomer)
    assert contact.sealed_to == current_sealing_keys(None).fingerprint
    assert "re-sealed 1 record(s)" in out
