"""Organisations sign on through the API with the sign-on form's rules: the same fields and
codes, the timer and the rate limits, a confirmation mail, and a count only once approved."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from undersigned.api.api import RETRY_AFTER_SECONDS
from undersigned.api.tests.conftest import api_url
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER, sign_ons_approve
from undersigned.signatures.tests.conftest import OpenStatement
from undersigned.statements.services import statement_close
from undersigned.testing import secretariat

pytestmark = pytest.mark.django_db


def sign_on_body(target: OpenStatement, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Neighbourhood Readers",
        "country": "ES",
        "type": "association",
        "website": "https://readers.example",
        "contact_name": "Carla Contact",
        "contact_role": "Chair",
        "contact_email": "carla@readers.example",
        "consent": True,
        "revision": target.revision.pk,
        "started": SIGN_ON_FORM_TIMER.started_token(drawn_at=time.time() - 10),
        **overrides,
    }


@pytest.fixture
def sign_on(client, open_statement, django_capture_on_commit_callbacks):
    def send(body: Any, *, headers: dict[str, str] | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                api_url(open_statement.statement, "/sign-ons"),
                data=json.dumps(body),
                content_type="application/json",
                headers=headers,
            )

    return send


def test_the_statement_says_what_a_sign_on_needs(client, open_statement):
    data = client.get(api_url(open_statement.statement)).json()
    form = data["sign_on_form"]
    assert SIGN_ON_FORM_TIMER.refusal(started=form["started"], honeypot="") is not None  # drawn just now
    assert {"code": "association", "label": "Association"} in form["organisation_types"]
    french = client.get(api_url(open_statement.statement), headers={"Accept-Language": "fr"}).json()
    assert {"code": "association", "label": "Association"} not in french["sign_on_form"]["organisation_types"] or (
        french["sign_on_form"]["organisation_types"] != form["organisation_types"]
    )


def test_a_sign_on_is_accepted_pending_and_answered_the_same_when_repeated(sign_on, open_statement):
    first = sign_on(sign_on_body(open_statement))
    assert first.status_code == 202
    assert first.json()["code"] == "check_email"
    stored = SignOn.objects.get()
    assert (stored.name, stored.country, stored.type.code, stored.website) == (
        "Neighbourhood Readers",
        "ES",
        "association",
        "https://readers.example",
    )
    assert stored.status == SignOn.Status.PENDING
    # The same contact again before confirming: the same answer (the mail again), no second row.
    again = sign_on(sign_on_body(open_statement))
    assert (again.status_code, again.content) == (202, first.content)
    assert SignOn.objects.count() == 1
    # Another contact for the same organisation while the first is pending: already signed on.
    other = sign_on(sign_on_body(open_statement, contact_email="dan@readers.example"))
    assert (other.status_code, other.json()["code"]) == (409, "already_signed_on")


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"name": " "}, ["name"]),
        ({"name": "<b>Readers</b>"}, ["name"]),
        ({"contact_name": "Carla\x00"}, ["contact_name"]),
        ({"country": "XX"}, ["country"]),
        ({"type": "secret-society"}, ["type"]),
        ({"website": "javascript:alert(1)"}, ["website"]),
        ({"contact_email": "carla@"}, ["contact_email"]),
        ({"consent": False}, ["consent"]),
        ({"contact_role": "x" * 121, "country": "XX"}, ["country", "contact_role"]),
    ],
)
def test_each_field_rule_of_the_form_is_a_400_naming_the_fields(sign_on, open_statement, overrides, fields):
    response = sign_on(sign_on_body(open_statement, **overrides))
    assert (response.status_code, response.json()["code"]) == (400, "invalid_field")
    assert response.json()["detail"] == {"field": fields[0], "fields": fields}
    assert response.json()["message"]
    assert not SignOn.objects.exists()


def test_the_timer_the_revision_and_a_closed_or_unknown_statement(sign_on, client, open_statement):
    too_fast = sign_on(sign_on_body(open_statement, started=SIGN_ON_FORM_TIMER.started_token()))
    assert (too_fast.status_code, too_fast.json()["code"]) == (400, "too_fast")
    # The timer is asked before the fields, as on the page: a script learns nothing about them.
    forged = sign_on(sign_on_body(open_statement, started="forged", country="XX"))
    assert forged.json()["code"] == "too_fast"
    wrong = sign_on(sign_on_body(open_statement, revision=2**31 - 1))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_revision")
    statement_close(actor=None, statement=open_statement.statement)
    closed = sign_on(sign_on_body(open_statement))
    assert (closed.status_code, closed.json()["code"]) == (410, "not_open")
    unknown = client.post(
        "/api/v1/statements/nothing-here/sign-ons",
        data=sign_on_body(open_statement),
        content_type="application/json",
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert not SignOn.objects.exists()


def test_the_rate_limit_answers_429_with_retry_after(sign_on, open_statement, rate_limit):
    rate_limit("sign_on.network.statement", 1)
    assert sign_on(sign_on_body(open_statement)).status_code == 202
    refused = sign_on(sign_on_body(open_statement, name="Other Readers", contact_email="eve@other.example"))
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many")
    assert int(refused["Retry-After"]) == RETRY_AFTER_SECONDS["too_many"]


@pytest.mark.parametrize("kind", ["a\x00b", "x" * 41, "<script>"])
def test_an_organisation_type_that_cannot_be_a_code_is_422_before_any_query(sign_on, open_statement, kind):
    # On PostgreSQL a NUL in the lookup was a 500 (found by probing what the fuzzer's cases miss).
    response = sign_on(sign_on_body(open_statement, type=kind))
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        422,
        "invalid",
        {"fields": ["type"]},
    )


def test_wrong_types_are_422_and_messages_follow_accept_language(sign_on, open_statement):
    wrong = sign_on({**sign_on_body(open_statement), "consent": "perhaps", "revision": "one"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid")
    assert set(wrong.json()["detail"]["fields"]) == {"consent", "revision"}
    english = sign_on(sign_on_body(open_statement, country="XX"))
    french = sign_on(sign_on_body(open_statement, country="XX"), headers={"Accept-Language": "fr"})
    assert french.json()["code"] == english.json()["code"] == "invalid_field"
    assert french.json()["message"] != english.json()["message"]


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_a_sign_on_counts_once_confirmed_and_approved(
    client, open_statement, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    counts_url = api_url(open_statement.statement, "/counts")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            api_url(open_statement.statement, "/sign-ons"),
            data=sign_on_body(open_statement),
            content_type="application/json",
        )
    assert response.status_code == 202
    run_tasks()
    (message,) = smtp_server.messages
    assert message["To"] == "carla@readers.example"
    paths = [urlsplit(link).path for link in smtp_server.links_in(message)]
    confirm_path = next(path for path in paths if "/confirm/" in path)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(confirm_path).status_code in (200, 302)
    assert SignOn.objects.get().status == SignOn.Status.AWAITING_MODERATION
    assert client.get(counts_url).json()["organisations"]["total"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        sign_ons_approve(actor=secretariat(), sign_on_ids=[SignOn.objects.get().pk])
    assert client.get(counts_url).json()["organisations"]["by_country"] == [{"country": "ES", "count": 1}]
