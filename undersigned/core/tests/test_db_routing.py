"""The read-your-writes cookie and the router's defaults, on any database (the replica itself is in
test_read_replica.py)."""

from __future__ import annotations

import pytest

from undersigned.api.tests.conftest import confirmed_signature
from undersigned.core import db_routing
from undersigned.signatures.models import Signature
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.signatures.tokens import SignatureRef, withdraw_token


@pytest.fixture
def signature(libraries) -> Signature:
    statement = build_open_statement(libraries).statement
    return confirmed_signature(statement, "ana@example.org")


def withdraw_url(signature: Signature) -> str:
    return f"/signatures/withdraw/{withdraw_token(SignatureRef(signature.pk, signature.statement_id))}/"


def test_a_request_that_changed_something_pins_the_visitor_to_the_primary(client, signature, settings):
    response = client.post(withdraw_url(signature))
    assert response.status_code == 200
    pin = response.cookies[db_routing.PIN_COOKIE]
    assert pin.value == "1"  # nothing about the visitor
    assert pin["httponly"] and pin["samesite"] == "Lax" and not pin["secure"]
    assert int(pin["max-age"]) == settings.READ_YOUR_WRITES_SECONDS >= settings.DATABASE_REPLICA_MAX_LAG + 5
    # The pinned visitor's next reads are served as usual.
    assert client.get(f"/statements/{signature.statement.slug}/signatures/").status_code == 200


def test_over_tls_the_pin_is_secure(client, signature):
    response = client.post(withdraw_url(signature), secure=True)
    assert response.cookies[db_routing.PIN_COOKIE]["secure"]


def test_reading_or_a_refused_request_sets_no_pin(client, signature):
    assert db_routing.PIN_COOKIE not in client.get(withdraw_url(signature)).cookies
    assert db_routing.PIN_COOKIE not in client.get(f"/statements/{signature.statement.slug}/signatures/").cookies
    refused = client.post("/signatures/withdraw/not-a-token/")
    assert refused.status_code == 404
    assert db_routing.PIN_COOKIE not in refused.cookies


def test_without_replicas_every_read_goes_to_the_primary(signature, settings):
    assert settings.DATABASE_REPLICAS == []
    with db_routing.replica_reads():
        assert Signature.objects.filter(pk=signature.pk).db == "default"
        assert Signature.objects.get(pk=signature.pk) == signature


def test_the_marked_views_exist():
    from django.urls import get_resolver

    resolver = get_resolver()
    names = set()
    for namespace, (_, sub) in resolver.namespace_dict.items():
        names |= {f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)}
    assert db_routing.REPLICA_READ_VIEWS <= names, db_routing.REPLICA_READ_VIEWS - names
    assert db_routing.NO_PIN_VIEWS <= names


def test_a_streamed_answer_closed_unread_leaves_no_routing_for_the_next_request(rf, db):
    from django.http import StreamingHttpResponse

    from undersigned.core import db_routing

    def streamed_view(request):
        state = db_routing._reads.get()
        assert state is not None
        state.replica_allowed = True
        return StreamingHttpResponse(iter([b"a", b"b"]))

    response = db_routing.ReadReplicaMiddleware(streamed_view)(rf.get("/statements/x/signed-statement.csv"))
    assert db_routing._reads.get() is not None  # kept while the answer is sent…
    response.close()  # …and gone when the server closes it, though nobody read it (a client gone)
    assert db_routing._reads.get() is None
