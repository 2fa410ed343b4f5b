"""Fraud signals: kept with each signature, added up to a score; above the threshold a confirmed
signature is held, not counted, until a moderator clears or sets it aside."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from undersigned.core.crypto import keyed_hash
from undersigned.ledger.models import PendingEvent
from undersigned.ledger.selectors import live_counts, verify_statement
from undersigned.notifications.services import RESEND_AFTER
from undersigned.signatures import fraud
from undersigned.signatures.models import Signature
from undersigned.signatures.services import (
    SignerInput,
    signature_confirm,
    signature_record,
    signatures_invalidate,
    signatures_restore,
)
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tests.conftest import signature_of
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db


def submit(
    target, email: str, *, name: str = "Ana Pérez", network: str | None = None, proof_of_work: bool = True
) -> Signature:
    signature_record(
        statement=target.statement,
        revision=target.revision,
        signer=SignerInput(name=name, email=email, country="FR"),
        network_hash=network or keyed_hash("test-network", email),
        language="en",
        proof_of_work=proof_of_work,
    )
    return signature_of(target.statement, email)


def confirm_later(signature: Signature) -> Signature:
    Signature.objects.filter(pk=signature.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    return signature_confirm(signature_id=signature.pk, statement_id=signature.statement_id)


def test_a_person_with_javascript_who_reads_their_mail_has_no_signal(open_statement):
    signature = confirm_later(submit(open_statement, "ana@example.org"))
    assert signature.signals == [] and signature.status == Signature.Status.CONFIRMED
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 1


def test_a_disposable_address_is_held_and_not_counted(open_statement):
    signature = confirm_later(submit(open_statement, "someone@mailinator.com"))
    assert "disposable_domain" in signature.signals
    assert signature.status == Signature.Status.HELD
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 0
    assert PendingEvent.objects.filter(kind="signature.held").count() == 1
    assert fraud.is_disposable("x@sub.mailinator.com") and not fraud.is_disposable("x@example.org")


def test_a_burst_from_one_network_is_marked_from_the_twenty_first_signature(open_statement):
    network = "a" * 64
    signatures = [
        submit(open_statement, f"p{n}@example.org", name=f"Person {'abcdefghijklmnopqrstuvwxyz'[n]}", network=network)
        for n in range(22)
    ]
    assert ["network_burst" in s.signals for s in signatures] == [False] * 20 + [True] * 2


def test_many_identical_names_are_marked_without_keeping_the_name(open_statement):
    signatures = [
        submit(open_statement, f"p{n}@example.org", name=" ana  PÉREZ" if n % 2 else "Ana Perez") for n in range(6)
    ]
    assert "similar_names" in signatures[5].signals and "similar_names" not in signatures[4].signals
    assert len(signatures[0].name_key) == 8 and "ana" not in signatures[0].name_key.lower()


def test_no_proof_of_work_and_a_click_within_seconds_add_up_but_stay_under_the_threshold(open_statement):
    Statement.objects.filter(pk=open_statement.statement.pk).update(requires_proof_of_work=True)
    open_statement.statement.refresh_from_db()
    signature = submit(open_statement, "quick@example.org", proof_of_work=False)
    confirmed = signature_confirm(signature_id=signature.pk, statement_id=signature.statement_id)
    assert confirmed.signals == ["no_proof_of_work", "fast_confirmation"] and confirmed.score == 2
    assert confirmed.status == Signature.Status.CONFIRMED


def test_no_proof_of_work_is_no_signal_where_the_statement_does_not_ask_for_it(open_statement):
    signature = confirm_later(submit(open_statement, "ana@example.org", proof_of_work=False))
    assert signature.signals == [] and signature.proof_of_work is False


def test_a_held_signature_is_counted_once_cleared_or_dismissed_without_moving_the_count(open_statement):
    held = [confirm_later(submit(open_statement, f"p{n}@mailinator.com")) for n in range(2)]
    statement = open_statement.statement
    signatures_restore(actor=None, statement=statement, signature_ids=[held[0].pk], reason="checked by phone")
    signatures_invalidate(actor=None, statement=statement, signature_ids=[held[1].pk], reason="throwaway addresses")
    assert tally_for_statement(statement.pk, fresh=True).total == 1
    assert [s.status for s in Signature.objects.order_by("pk")] == [
        Signature.Status.CONFIRMED,
        Signature.Status.INVALIDATED,
    ]
    assert set(PendingEvent.objects.values_list("kind", flat=True)) == {
        "signature.held",
        "signature.restored",
        "signature.dismissed",
    }
    assert verify_statement(statement, live_counts(statement.pk)).problems == []


def test_the_thank_you_page_of_a_held_signature_says_it_waits_for_a_check(client, open_statement):
    from undersigned.signatures.tokens import SignatureRef, withdraw_token

    signature = confirm_later(submit(open_statement, "held@mailinator.com"))
    token = withdraw_token(SignatureRef(signature_id=signature.pk, statement_id=signature.statement_id))
    page = client.get(f"/signatures/thanks/{token}/").content.decode()
    assert "moderators take a look" in page and signature.public_id in page


def test_a_held_signature_can_be_withdrawn_by_its_signer(open_statement):
    from undersigned.signatures.services import signature_withdraw

    held = confirm_later(submit(open_statement, "held@mailinator.com"))
    assert signature_withdraw(signature_id=held.pk, statement_id=held.statement_id)
    held.refresh_from_db()
    assert held.status == Signature.Status.WITHDRAWN and bytes(held.sealed_contact) == b""
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 0


def test_a_country_that_is_not_the_networks_is_a_signal_when_a_geoip_database_is_configured(
    client, open_statement, settings, tmp_path
):
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet  # type: ignore[import-untyped]

    from undersigned.signatures.tests.conftest import form_data

    database = tmp_path / "countries.mmdb"
    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "DE"}})
    writer.to_db_file(str(database))
    settings.GEOIP_DATABASE = database
    for email, country in (("far@example.org", "FR"), ("near@example.org", "DE")):
        data = form_data(open_statement.revision, email=email, country=country, name=f"Person {country}")
        assert client.post(open_statement.sign_url, data, REMOTE_ADDR="203.0.113.7").status_code == 200
    assert "country_mismatch" in signature_of(open_statement.statement, "far@example.org").signals
    assert "country_mismatch" not in signature_of(open_statement.statement, "near@example.org").signals
    settings.GEOIP_DATABASE = None
    client.post(
        open_statement.sign_url,
        form_data(open_statement.revision, email="off@example.org", country="FR"),
        REMOTE_ADDR="203.0.113.8",
    )
    assert "country_mismatch" not in signature_of(open_statement.statement, "off@example.org").signals


@pytest.mark.django_db(transaction=True)
def test_signing_again_while_held_says_the_signature_is_not_counted(open_statement, smtp_server, run_tasks):
    held = confirm_later(submit(open_statement, "again@mailinator.com"))
    assert held.status == Signature.Status.HELD
    run_tasks()
    with time_machine.travel(timezone.now() + RESEND_AFTER + timedelta(seconds=1)):
        submit(open_statement, "again@mailinator.com")
    run_tasks()
    text = smtp_server.text_of(smtp_server.messages[-1])
    assert "not counted at the moment" in text and held.public_id in text


def test_the_receipt_of_a_held_signature_says_it_is_held(open_statement):
    from undersigned.ledger.selectors import receipt_of
    from undersigned.ledger.services import seal_pending

    held = confirm_later(submit(open_statement, "receipt@mailinator.com"))
    assert receipt_of(open_statement.statement, held.public_id).state == "held"
    seal_pending()
    assert receipt_of(open_statement.statement, held.public_id).state == "held"
    signatures_restore(actor=None, statement=open_statement.statement, signature_ids=[held.pk], reason="checked")
    assert receipt_of(open_statement.statement, held.public_id).state == "pending_seal"
    seal_pending()
    assert receipt_of(open_statement.statement, held.public_id).state == "counted"
