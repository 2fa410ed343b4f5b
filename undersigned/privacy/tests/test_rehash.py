"""After a rotation of DATA_KEYS: the records made under the older key are found again when their
address is given again, and move to the new key's hash; one address stays one signature."""

from __future__ import annotations

import secrets

import pytest

from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.organisations.services.directory import contact_add
from undersigned.organisations.services.members import member_organisations_for, member_sign_in_request
from undersigned.organisations.services.names import contact_email_hash
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.privacy.rehash import rehash_address
from undersigned.privacy.tests.conftest import request_data, signed_on
from undersigned.privacy.tests.test_link import link_in, sent_links
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.tests.conftest import sign
from undersigned.testing import secretariat

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
ROSA = "rosa@readers.example.org"  # not of the member's email domain: known only as a contact


@pytest.fixture
def rotate(settings):
    def rotate_now() -> None:
        settings.DATA_KEYS = [secrets.token_bytes(32), *settings.DATA_KEYS]

    return rotate_now


def test_signing_again_after_a_rotation_is_the_same_signature(open_statement, rotate):
    first = sign(open_statement, email=ADA, confirm=True)
    rotate()
    assert first.email_hash != email_hash(ADA)
    again = sign(open_statement, email="Ada@Example.org")
    assert again.pk == first.pk
    assert Signature.objects.filter(statement=open_statement.statement).count() == 1
    again.refresh_from_db()
    assert (again.email_hash, again.status) == (email_hash(ADA), Signature.Status.CONFIRMED)


def test_your_data_finds_what_was_stored_before_the_rotation(client, open_statement, rotate):
    sign(open_statement, email=ADA, confirm=True)
    signed_on(open_statement, contact_email=ADA)
    rotate()
    assert client.post("/your-data/", request_data(ADA)).status_code == 200
    (mail,) = sent_links()
    page = client.get(link_in(mail)).content.decode()
    assert open_statement.revision.title in page
    assert "Neighbourhood Readers" in page
    assert SignOn.objects.get().contact_email_hash == contact_email_hash(ADA)


def test_nothing_moves_while_there_is_one_key(open_statement, django_assert_num_queries):
    sign(open_statement, email=ADA)
    with django_assert_num_queries(0):
        assert rehash_address(ADA) == 0


def test_a_record_made_under_each_key_keeps_both_rows(open_statement, rotate):
    """Two rows of one address on one statement (one under each key, as could be made before
    records were moved on sight) stay two rows: the older keeps its hash, nothing fails."""
    older = sign(open_statement, email=ADA)
    old_hash = older.email_hash
    rotate()
    Signature.objects.filter(pk=older.pk).update(email_hash="f" * 64)  # out of the way for a moment
    newer = sign(open_statement, email=ADA)
    Signature.objects.filter(pk=older.pk).update(email_hash=old_hash)
    assert rehash_address(ADA) == 0
    assert Signature.objects.get(pk=older.pk).email_hash == old_hash
    assert Signature.objects.get(pk=newer.pk).email_hash == email_hash(ADA)


def test_a_member_contact_is_recognised_after_a_rotation(open_statement, rotate):
    organisation = member_organisation(domain="reading-room.example")
    contact_add(actor=secretariat(), organisation=organisation, name="Rosa Contact", role="Chair", email=ROSA)
    rotate()
    assert member_organisations_for(ROSA) == []
    member_sign_in_request(email=ROSA, network_hash="c" * 64, language="en")
    assert member_organisations_for(ROSA) == [organisation]
    assert OrganisationContact.objects.get().email_hash == contact_email_hash(ROSA)
