"""The rules of signing and signing on live in the services and take plain values, so the form,
the API and an embed get the same answer for the same input: a stable code per broken rule."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER, SignOnInput, sign_on_submit
from undersigned.organisations.tests.conftest import kind
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, SignerInput, signature_submit
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_close
from undersigned.testing import drawn_form_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


@pytest.fixture
def other(libraries) -> OpenStatement:
    return build_open_statement(libraries, slug="another-statement")


def sign(target: OpenStatement, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "statement": target.statement,
        "revision_id": target.revision.pk,
        "signer": SignerInput(name="Ana Pérez", email="ana@example.org", country="FR"),
        "started": drawn_form_token(SIGN_FORM_TIMER),
        "honeypot": "",
        "proof_of_work_answer": "",
        "network_hash": "a" * 64,
        "network_country": None,
        "language": "en",
        **overrides,
    }
    signature_submit(**values)


def sign_on(target: OpenStatement, **overrides: Any) -> SignOn:
    values: dict[str, Any] = {
        "statement": target.statement,
        "revision_id": target.revision.pk,
        "data": SignOnInput(
            name="Neighbourhood Readers",
            country="ES",
            type=kind(),
            website="",
            contact_name="Rosa Contact",
            contact_role="",
            contact_email="rosa@readers.example.org",
        ),
        "logo_upload": None,
        "started": SIGN_ON_FORM_TIMER.started_token(drawn_at=time.time() - 10),
        "honeypot": "",
        "network_hash": "b" * 64,
        "language": "en",
        **overrides,
    }
    return sign_on_submit(**values)


def drawn_now(overrides: dict[str, Any]) -> dict[str, Any]:
    """Form timers are drawn when the test runs, not when the parameters are collected."""
    return {name: value() if callable(value) else value for name, value in overrides.items()}


def code_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    return raised.value.code


def test_a_signature_that_breaks_no_rule_is_stored(target):
    sign(target)
    assert Signature.objects.filter(statement=target.statement).count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"honeypot": "https://spam.example"}, TOO_FAST, id="honeypot"),
        pytest.param({"started": lambda: SIGN_FORM_TIMER.started_token()}, TOO_FAST, id="sent at once"),
        pytest.param({"started": "forged"}, TOO_FAST, id="forged timer"),
        pytest.param(
            {"started": lambda: SIGN_ON_FORM_TIMER.started_token(drawn_at=time.time() - 10)},
            TOO_FAST,
            id="another form's timer",
        ),
        pytest.param({"revision_id": 10**12}, "wrong_revision", id="unknown revision"),
        pytest.param({"revision_id": 10**30}, "wrong_revision", id="no database holds that id"),
    ],
)
def test_each_broken_rule_of_signing_has_its_code(target, overrides, code):
    assert code_of(sign, target, **drawn_now(overrides)) == code
    assert not Signature.objects.exists()


def test_a_revision_of_another_statement_is_refused(target, other):
    assert code_of(sign, target, revision_id=other.revision.pk) == "wrong_revision"


def test_a_closed_statement_takes_no_signature_and_no_sign_on(target):
    statement_close(actor=None, statement=target.statement)
    target = replace(target, statement=Statement.objects.get(pk=target.statement.pk))
    assert code_of(sign, target) == "not_open"
    assert code_of(sign_on, target) == "not_open"


def test_proof_of_work_is_asked_only_where_the_statement_asks_for_it(target):
    Statement.objects.filter(pk=target.statement.pk).update(requires_proof_of_work=True)
    target = replace(target, statement=Statement.objects.get(pk=target.statement.pk))
    assert code_of(sign, target) == "proof_of_work_required"
    assert code_of(sign, target, proof_of_work_answer="bm90IGFuIGFuc3dlcg==") == "proof_of_work_required"


def test_the_rate_limits_are_the_services_own(target, rate_limit):
    rate_limit("sign.network.statement", 1)
    sign(target)
    error = pytest.raises(
        DomainError, sign, target, signer=SignerInput(name="Bo", email="bo@example.org", country="SE")
    )
    assert error.value.code == "too_many" and error.value.status == 429


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"honeypot": "0123"}, TOO_FAST, id="honeypot"),
        pytest.param({"started": lambda: SIGN_ON_FORM_TIMER.started_token()}, TOO_FAST, id="sent at once"),
        pytest.param({"revision_id": 10**12}, "wrong_revision", id="unknown revision"),
    ],
)
def test_each_broken_rule_of_signing_on_has_its_code(target, overrides, code):
    assert code_of(sign_on, target, **drawn_now(overrides)) == code
    assert not SignOn.objects.exists()


def test_sign_on_rate_limits_are_the_services_own(target, rate_limit):
    rate_limit("sign_on.network", 0)
    assert code_of(sign_on, target) == "too_many"


@pytest.mark.parametrize(
    ("signer", "field"),
    [
        pytest.param(SignerInput(name="   ", email="ana@example.org", country="FR"), "name", id="blank name"),
        pytest.param(SignerInput(name="Ana\x00", email="ana@example.org", country="FR"), "name", id="NUL in name"),
        pytest.param(SignerInput(name="A" * 201, email="ana@example.org", country="FR"), "name", id="long name"),
        pytest.param(SignerInput(name="Ana", email="not-an-address", country="FR"), "email", id="no address"),
        pytest.param(SignerInput(name="Ana", email="ana@localhost", country="FR"), "email", id="no domain"),
        pytest.param(SignerInput(name="Ana", email="a" * 250 + "@example.org", country="FR"), "email", id="long"),
        pytest.param(SignerInput(name="Ana", email="ana@example.org", country="ZZ"), "country", id="no country"),
        pytest.param(
            SignerInput(name="Ana", email="ana@example.org", country="FR", city="x\u202e"), "city", id="bidi control"
        ),
        pytest.param(
            SignerInput(name="Ana", email="ana@example.org", country="FR", name_shown="bold"), "name_shown", id="shown"
        ),
    ],
)
def test_a_caller_without_a_form_gets_each_fields_rule_too(target, signer, field):
    with pytest.raises(DomainError) as raised:
        sign(target, signer=signer)
    assert (raised.value.code, raised.value.detail) == ("invalid_field", {"field": field})
    assert not Signature.objects.exists()


def test_a_closed_statement_is_answered_as_closed_even_when_the_form_has_mistakes(client, target):
    statement_close(actor=None, statement=target.statement)
    response = client.post(f"/statements/{target.statement.slug}/sign/", {"email": "not-an-address"})
    assert response.status_code == 410


def test_a_form_without_its_timer_comes_back_with_a_new_one_and_what_was_typed(client, target):
    response = client.post(
        f"/statements/{target.statement.slug}/sign/",
        {"name": "Ana Pérez", "email": "ana@example.org", "country": "FR", "revision": target.revision.pk},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "too quickly" in page and 'value="Ana Pérez"' in page
    assert 'name="started" value="' in page and 'name="started" value=""' not in page
