"""The moderators' queue: filter by network, signal, status and time; invalidate or restore a
batch with a recorded reason, each signature one ledger event, all in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from undersigned.core.crypto import keyed_hash
from undersigned.ledger.models import PendingEvent
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SignerInput, signature_confirm, signature_record
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tests.conftest import signature_of
from undersigned.testing import editor, secretariat, staff_login

pytestmark = pytest.mark.django_db

BURST_NETWORK = "b" * 64
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def signer(target, number: int, network: str) -> Signature:
    email = f"person{number}@example.org"
    signature_record(
        statement=target.statement,
        revision=target.revision,
        signer=SignerInput(name=f"Person {LETTERS[number % 26]}{LETTERS[number // 26]}", email=email, country="FR"),
        network_hash=network,
        language="en",
        proof_of_work=True,
    )
    signature = signature_of(target.statement, email)
    # Confirmed a minute later, as a person reading their mail would.
    Signature.objects.filter(pk=signature.pk).update(created_at=signature.created_at - timedelta(minutes=1))
    return signature_confirm(signature_id=signature.pk, statement_id=target.statement.pk)


def make_burst(target, size: int = 24, others: int = 3) -> None:
    for number in range(size):
        signer(target, number, BURST_NETWORK)
    for number in range(size, size + others):
        signer(target, number, keyed_hash("network", str(number)))


def queue_url(target) -> str:
    return f"/staff/statements/{target.statement.slug}/signatures/"


def test_an_editor_invalidates_a_whole_burst_by_its_network(client, open_statement):
    make_burst(open_statement)
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 27
    staff_login(client, editor(open_statement.commission))
    page = client.get(queue_url(open_statement), {"network": BURST_NETWORK[:8]})
    assert page.status_code == 200 and "24 signatures match." in page.content.decode()
    flagged = client.get(queue_url(open_statement), {"signal": "network_burst"}).content.decode()
    assert "4 signatures match." in flagged  # the 21st to the 24th
    up_to = page.context["up_to"]
    response = client.post(
        queue_url(open_statement) + f"?network={BURST_NETWORK[:8]}",
        {"action": "invalidate", "reason": "Burst from one network", "every_match": "on", "up_to": up_to},
    )
    assert response.status_code == 302
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 3
    assert (
        PendingEvent.objects.filter(kind="signature.invalidated", detail__reason="Burst from one network").count() == 24
    )


def test_a_batch_needs_a_reason_and_changes_nothing_without_one(client, open_statement):
    make_burst(open_statement, size=2, others=0)
    staff_login(client, editor(open_statement.commission))
    ids = [str(pk) for pk in Signature.objects.values_list("pk", flat=True)]
    response = client.post(queue_url(open_statement), {"action": "invalidate", "reason": " ", "chosen": ids})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    assert set(Signature.objects.values_list("status", flat=True)) == {Signature.Status.CONFIRMED}


def test_chosen_signatures_are_restored(client, open_statement):
    make_burst(open_statement, size=3, others=0)
    staff_login(client, secretariat())
    ids = [str(pk) for pk in Signature.objects.order_by("pk").values_list("pk", flat=True)]
    client.post(queue_url(open_statement), {"action": "invalidate", "reason": "test", "chosen": ids})
    client.post(queue_url(open_statement), {"action": "restore", "reason": "checked", "chosen": ids[:1]})
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 1


def test_others_cannot_moderate_and_bad_filters_are_explained(client, open_statement, mobility):
    make_burst(open_statement, size=1, others=0)
    staff_login(client, editor(mobility))
    assert client.get(queue_url(open_statement)).status_code == 404  # not even told the statement exists
    refused = client.post(queue_url(open_statement), {"action": "invalidate", "reason": "x", "every_match": "on"})
    assert refused.status_code == 404
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 1
    staff_login(client, editor(open_statement.commission))
    bad = client.get(queue_url(open_statement), {"network": "<script>", "since": "yesterday"})
    assert bad.status_code == 400 and "network code" in bad.content.decode()


def test_a_whole_batch_needs_a_valid_filter_and_takes_only_what_the_page_showed(client, open_statement):
    make_burst(open_statement, size=3, others=2)
    staff_login(client, editor(open_statement.commission))
    everything = {"action": "invalidate", "reason": "test", "every_match": "on", "up_to": "999999"}
    assert client.post(queue_url(open_statement), everything).status_code == 400  # no filter
    assert client.post(queue_url(open_statement) + "?network=ABCD", everything).status_code == 400  # invalid one
    nothing = client.post(queue_url(open_statement), {**everything, "every_match": "", "chosen": ["²"]})
    assert nothing.status_code == 400 and "Choose at least one signature" in nothing.content.decode()
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 5
    shown = client.get(queue_url(open_statement), {"network": BURST_NETWORK[:8]}).context["up_to"]
    signer(open_statement, 50, BURST_NETWORK)  # arrives after the page was drawn
    response = client.post(
        queue_url(open_statement) + f"?network={BURST_NETWORK[:8]}", {**everything, "up_to": str(shown)}
    )
    assert response.status_code == 302
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 3  # 2 others + the late one


def test_a_moderator_of_the_commission_invalidates_and_a_viewer_cannot(client, open_statement):
    from undersigned.commissions.models import CommissionMembership
    from undersigned.testing import UserFactory

    make_burst(open_statement, size=2, others=0)
    ids = [str(pk) for pk in Signature.objects.order_by("pk").values_list("pk", flat=True)]
    viewer = UserFactory.create(email="vera@example.org")
    CommissionMembership.objects.create(commission=open_statement.commission, user=viewer, role="viewer")
    staff_login(client, viewer)
    assert (
        client.post(queue_url(open_statement), {"action": "invalidate", "reason": "x", "chosen": ids}).status_code
        == 403
    )
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 2
    moderator = UserFactory.create(email="mo@example.org")
    CommissionMembership.objects.create(commission=open_statement.commission, user=moderator, role="moderator")
    staff_login(client, moderator)
    response = client.post(queue_url(open_statement), {"action": "invalidate", "reason": "Duplicates", "chosen": ids})
    assert response.status_code == 302
    assert tally_for_statement(open_statement.statement.pk, fresh=True).total == 0
