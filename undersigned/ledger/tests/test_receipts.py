"""A signer's receipts from the site's log: offered on the thank-you page once sealed, listed per
event on the data page (for sign-ons too), downloadable only through the signer's own links."""

from __future__ import annotations

import json

import pytest

from undersigned.ledger import site_log, tlog
from undersigned.ledger.services import seal_pending
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.sign_ons import sign_ons_approve
from undersigned.organisations.tests.conftest import sign_on_data
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign
from undersigned.signatures.tokens import SignatureRef, withdraw_token
from undersigned.testing import editor

pytestmark = pytest.mark.django_db

EMAIL = "person0@example.org"


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def proven_entry(data: bytes) -> dict:
    """Checks a receipt as a stranger would, with the log's public key; returns its entry."""
    proof_file = tlog.parse_proof_file(data)
    checkpoint, _ = tlog.open_checkpoint(proof_file.checkpoint, site_log.log_verifiers()[0])
    holder = json.loads(proof_file.extra or b"")
    entry = json.loads(holder["entry"])
    assert entry["subject"] == site_log.commitment(bytes.fromhex(holder["secret"]))
    leaf = tlog.leaf_hash(holder["entry"].encode())
    tlog.verify_inclusion(leaf, proof_file.index, checkpoint.size, proof_file.proof, checkpoint.root)
    return entry


def test_the_thanks_page_offers_the_receipt_once_the_signature_is_sealed(client, target):
    signature = sign(target, email=EMAIL, country="FR", confirm=True)
    token = withdraw_token(SignatureRef(signature_id=signature.pk, statement_id=target.statement.pk))
    page = client.get(f"/signatures/thanks/{token}/").content.decode()
    assert "Reload this page to download it" in page
    assert client.get(f"/signatures/receipt/{token}/").status_code == 404

    seal_pending()
    page = client.get(f"/signatures/thanks/{token}/").content.decode()
    assert f"/signatures/receipt/{token}/" in page and "Download my receipt" in page
    response = client.get(f"/signatures/receipt/{token}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.tlog-proof"')
    assert "no-store" in response["Cache-Control"]
    entry = proven_entry(response.content)
    assert (entry["kind"], entry["statement"], entry["country"]) == ("signature.confirmed", target.statement.slug, "FR")
    assert signature.public_id not in response.content.decode().split("\n\n")[1]  # the checkpoint names nobody

    assert client.get(f"/signatures/receipt/{token}/?event=abc").status_code == 404
    assert client.get(f"/signatures/receipt/{token}/?event=99999").status_code == 404
    assert client.get("/signatures/receipt/not-a-token/").status_code in (400, 404)
    assert client.post(f"/signatures/receipt/{token}/").status_code == 405


def test_the_data_page_lists_a_receipt_for_each_event_and_keeps_them_to_their_holder(client, target):
    signature = sign(target, email=EMAIL, country="ES", confirm=True)
    sign(target, email="someone.else@example.org", country="MA", confirm=True)
    seal_pending()
    signature_withdraw(signature_id=signature.pk, statement_id=target.statement.pk)
    seal_pending()

    token = data_link_token(PersonRef.of_address(EMAIL))
    page = client.get(f"/your-data/{token}/").content.decode()
    base = f"/your-data/{token}/receipt/signature/{signature.public_id}/"
    assert page.count(base + "?event=") == 2
    assert "Counted" in page and "Withdrawn" in page
    kinds = []
    for line in page.split(base + "?event=")[1:]:
        index = line.split('"')[0]
        response = client.get(f"{base}?event={index}")
        assert response.status_code == 200
        kinds.append(proven_entry(response.content)["kind"])
    assert kinds == ["signature.confirmed", "signature.withdrawn"]

    other = data_link_token(PersonRef.of_address("someone.else@example.org"))
    assert client.get(f"/your-data/{other}/receipt/signature/{signature.public_id}/").status_code == 404
    assert client.get(f"/your-data/{token}/receipt/other-kind/{signature.public_id}/").status_code == 404


def test_an_organisations_sign_on_gets_the_same_receipt(client, target):
    data = sign_on_data(target)
    response = client.post(f"/statements/{target.statement.slug}/sign-on/", data)
    assert response.status_code == 200, response.content.decode()[:500]
    sign_on = SignOn.objects.get()
    SignOn.objects.filter(pk=sign_on.pk).update(status=SignOn.Status.AWAITING_MODERATION)
    sign_ons_approve(actor=editor(target.commission), sign_on_ids=[sign_on.pk])
    seal_pending()

    token = data_link_token(PersonRef.of_address(data["contact_email"]))
    response = client.get(f"/your-data/{token}/receipt/sign-on/{sign_on.public_id}/")
    assert response.status_code == 200
    assert proven_entry(response.content)["kind"] == "sign_on.approved"
    page = client.get(f"/your-data/{token}/").content.decode()
    assert f"/your-data/{token}/receipt/sign-on/{sign_on.public_id}/?event=" in page
