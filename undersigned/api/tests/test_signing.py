"""Signing through the API: the form's rules, with a stable code for each, the same answer for
every address, and a signature that counts only once confirmed through the emailed link."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undersigned.api.api import RETRY_AFTER_SECONDS
from undersigned.api.tests.conftest import api_url, sign_body
from undersigned.core.ratelimit import RULES
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.statements.services import statement_close
from undersigned.testing import drawn_form_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sign(client, open_statement, django_capture_on_commit_callbacks):
    def send(body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                api_url(open_statement.statement, "/signatures"),
                data=data,
                content_type="application/json",
                headers=headers,
            )

    return send


def test_a_signature_is_accepted_with_the_same_answer_for_every_address(sign, open_statement):
    first = sign(sign_body(open_statement))
    assert first.status_code == 202
    assert first.json()["code"] == "check_email"
    again = sign(sign_body(open_statement, name="Someone Else"))
    other = sign(sign_body(open_statement, email="ben@example.org"))
    assert again.status_code == other.status_code == 202
    assert again.content == other.content == first.content
    assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 2


def test_the_api_needs_no_csrf_token_and_reads_no_cookie(client, open_statement):
    client.handler.enforce_csrf_checks = True
    response = client.post(
        api_url(open_statement.statement, "/signatures"),
        data=sign_body(open_statement),
        content_type="application/json",
    )
    assert response.status_code == 202
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"name": " "}, "invalid_field", 400),
        ({"email": "ana@"}, "invalid_field", 400),
        ({"country": "XX"}, "invalid_field", 400),
        ({"name_shown": "loud"}, "invalid_field", 400),
        ({"city": "x" * 101}, "invalid_field", 400),
        ({"name": "Ana\x00"}, "invalid_field", 400),
        ({"started": "forged"}, "too_fast", 400),
        ({"revision": 2**31 - 1}, "wrong_revision", 400),
    ],
)
def test_each_rule_of_the_form_has_its_code(sign, open_statement, overrides, code, status):
    response = sign(sign_body(open_statement, **overrides))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert set(response.json()) == {"code", "message", "detail"}
    assert not Signature.objects.exists()


def test_a_form_sent_too_fast_is_refused(sign, open_statement):
    response = sign(sign_body(open_statement, started=SIGN_FORM_TIMER.started_token()))
    assert response.json()["code"] == "too_fast"


def test_a_closed_statement_and_an_unknown_one(sign, client, open_statement):
    statement_close(actor=None, statement=open_statement.statement)
    closed = sign(sign_body(open_statement))
    assert (closed.status_code, closed.json()["code"]) == (410, "not_open")
    unknown = client.post(
        "/api/v1/statements/nothing-here/signatures", data=sign_body(open_statement), content_type="application/json"
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


def test_proof_of_work_where_the_statement_asks_for_it(sign, open_statement):
    open_statement.statement.requires_proof_of_work = True
    open_statement.statement.save(update_fields=["requires_proof_of_work"])
    response = sign(sign_body(open_statement, proof_of_work="not-a-solution"))
    assert (response.status_code, response.json()["code"]) == (400, "proof_of_work_required")


def test_the_rate_limit_answers_429_with_retry_after(sign, open_statement, rate_limit):
    rate_limit("sign.network.statement", 1)
    assert sign(sign_body(open_statement)).status_code == 202
    refused = sign(sign_body(open_statement, email="ben@example.org"))
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many")
    assert refused["Retry-After"] == str(RETRY_AFTER_SECONDS["too_many"])
    assert RETRY_AFTER_SECONDS["too_many"] == RULES["sign.network.statement"].window_seconds


def test_messages_follow_accept_language(sign, open_statement):
    response = sign(sign_body(open_statement, country="XX"), headers={"Accept-Language": "fr"})
    assert response.json()["code"] == "invalid_field"
    english = sign(sign_body(open_statement, country="XX"))
    assert response.json()["message"] != english.json()["message"]


def test_the_apis_own_errors_are_translated_too(client):
    missing = client.get("/api/v1/nothing", headers={"Accept-Language": "fr"})
    assert missing.json() == {"code": "not_found", "message": "Introuvable.", "detail": {}}
    forged = client.get("/api/v1/statements", {"cursor": "x:y"}, headers={"Accept-Language": "es"})
    assert forged.json()["message"] == "Este cursor no es válido."


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'{"name": 1, "email": [], "country": {}, "revision": "x", "started": null}',
        b'{"revision": 1e400}',
        b'{"revision": 123456789012345678901234567890}',
        b'{"name": "\\u0000", "email": "a\\u0000@example.org", "country": "\\u0000", "revision": 1, "started": ""}',
        b'{"name": "' + b"a" * 1_000_000 + b'"}',
    ],
)
def test_bad_bodies_are_json_errors_never_500(sign, raw):
    response = sign(raw=raw)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"code", "message", "detail"}


def test_a_body_over_the_sites_upload_limit_is_413(sign, settings):
    response = sign(raw=b'{"name": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}')
    assert (response.status_code, response.json()["code"]) == (413, "too_large")


def test_an_unexpected_error_is_logged_without_the_body_and_answered_in_json(sign, open_statement, monkeypatch, caplog):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr("undersigned.api.routers.signatures.signature_submit", broken)
    response = sign(sign_body(open_statement))
    assert (response.status_code, response.json()["code"]) == (500, "server_error")
    assert "RuntimeError" in caplog.text
    assert "ana@example.org" not in caplog.text and "Ana" not in caplog.text


def test_wrong_types_name_their_fields(sign, open_statement):
    response = sign({**sign_body(open_statement), "revision": "one", "wants_updates": "perhaps"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert set(response.json()["detail"]["fields"]) == {"revision", "wants_updates"}


def test_other_methods_and_addresses_under_the_api_are_json(client, open_statement):
    response = client.delete(api_url(open_statement.statement))
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
    missing = client.get("/api/v1/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    odd = client.get("/api/v1/statements/%00")
    assert (odd.status_code, odd.json()["code"]) == (404, "not_found")
    assert client.get("/api/v1/statements", {"issuing_body": "a\x00b"}).status_code == 422
    assert client.get("/api/v1/statements", {"limit": 10**30}).status_code == 422
    assert client.get("/api/v1/statements/" + "a" * 5000 + "/counts").json()["code"] == "not_found"
    head = client.head(api_url(open_statement.statement, "/counts"))
    assert (head.status_code, head.content) == (200, b"")
    assert head["ETag"] == client.get(api_url(open_statement.statement, "/counts"))["ETag"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(["name", "email", "country", "city", "affiliation", "name_shown", "revision", "started"]),
        st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
    )
)
def test_any_body_gets_an_answer_of_the_schema_and_never_a_500(sign, open_statement, body):
    response = sign({**sign_body(open_statement), **body})
    assert response.status_code in (202, 400, 410, 422, 429)
    assert response["Content-Type"].startswith("application/json")
    if response.status_code != 202:
        assert set(response.json()) == {"code", "message", "detail"}


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_a_signature_counts_only_once_confirmed_through_the_emailed_link(
    client, open_statement, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    counts_url = api_url(open_statement.statement, "/counts")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            api_url(open_statement.statement, "/signatures"),
            data=sign_body(open_statement, started=drawn_form_token(SIGN_FORM_TIMER)),
            content_type="application/json",
        )
    assert response.status_code == 202
    assert client.get(counts_url).json()["signatures"]["total"] == 0
    run_tasks()
    (message,) = smtp_server.messages
    assert message["To"] == "ana@example.org"
    paths = [urlsplit(link).path for link in smtp_server.links_in(message)]
    confirm_path = next(path for path in paths if path.startswith("/signatures/confirm/"))
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    assert confirmed.status_code == 302
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    # The thanks page reads the count afresh and caches it for every reader, the API's too.
    assert client.get(confirmed.url).status_code == 200
    assert client.get(counts_url).json()["signatures"] == {"total": 1, "by_country": [{"country": "FR", "count": 1}]}
