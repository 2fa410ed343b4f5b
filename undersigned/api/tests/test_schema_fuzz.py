"""schemathesis against the live schema: every operation, with cases generated from the schema
(valid ones and, where there is a query or a body, invalid ones), run through the Django WSGI
application on the test database, must answer within its own schema: no 500, no undocumented
status, no body, header or content type the schema does not promise.

The database holds a few published statements (one closed, one translated, one with signatures, a
sign-on and a solidarity action), and every operation with a ``slug`` also runs on their slugs, so
the reads answer with real data and not only 404s. Generated sign POSTs would all stop at the form
timer, so some carry a valid timer and a real revision, and some valid fields but one or two: they
reach every rule behind (fields, 409, 410, rate limits) and are accepted (202). The cases actually
run are counted, so the number cannot drop silently below what the README reports."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.api.models import Scope
from undersigned.api.services import token_create
from undersigned.api.tests.conftest import approved_sign_on, confirmed_signature
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.statements.services import statement_close
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import secretariat

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]
# Per operation and generation mode (valid cases for every operation with parameters, invalid ones
# too where there is a query or a body): 100 each, over the public and the staff operations.
MAX_EXAMPLES = 100
MIN_CASES = 2_000


@pytest.fixture
def revisions(libraries, mobility) -> dict[str, int]:
    """The published statements' slugs, each with the id of its English revision."""
    ensure_builtin_types()
    signed = build_open_statement(libraries).statement
    confirmed_signature(signed, "ana@example.org", "FR")
    confirmed_signature(signed, "ben@example.org", "DE", name="Ben Braun")
    approved_sign_on(signed, "Neighbourhood Readers", "ES")
    SolidarityActionFactory(statement=signed, organisation=member_organisation(), participants=30)
    translated = published_statement(mobility, slug="safe-streets", translations=("fr", "ar"))
    closed = published_statement(mobility, slug="closed-consultation", translations=())
    statement_close(actor=None, statement=closed)
    revisions = {
        statement.slug: statement.texts.get(language="en").published_revision_id
        for statement in (signed, translated, closed)
    }
    return {slug: revision for slug, revision in revisions.items() if revision is not None}


@pytest.fixture
def wsgi_application() -> Iterator[WSGIHandler]:
    """The site's WSGI application, on the test's own database connection: as Django's test client
    does, the connection is not closed at the end of each request (it holds the test's transaction;
    on PostgreSQL the next request could not open another inside it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(db, rate_limit) -> str:
    """A token of the secretariat with every scope: staff operations answer with data, not 401.
    The generated cases send thousands of wrong tokens, which would lock the network out."""
    rate_limit("api_token.network", 1_000_000)
    secretary = secretariat()
    TOTPDevice.objects.create(user=secretary, name="authenticator", confirmed=True)
    return token_create(user=secretary, name="fuzzing", scopes=list(Scope.values), days=30).secret


def _with_token(case: Any, token: str) -> Any:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    return case


def _cases(operation: Any, mode: GenerationMode, revisions: dict[str, int], token: str) -> st.SearchStrategy[Any]:
    cases = _slug_cases(operation, mode, revisions)
    if not operation.path.startswith("/api/v1/staff"):
        return cases
    # Most staff cases carry the token; the others show the refusal without one.
    return st.one_of(
        cases, cases.map(lambda case: _with_token(case, token)), cases.map(lambda c: _with_token(c, token))
    )


def _slug_cases(operation: Any, mode: GenerationMode, revisions: dict[str, int]) -> st.SearchStrategy[Any]:
    generated = operation.as_strategy(generation_mode=mode)
    if "{slug}" not in operation.path:
        return generated
    real = [operation.as_strategy(generation_mode=mode, path_parameters={"slug": slug}) for slug in revisions]
    cases = st.one_of(generated, *real)
    if operation.method.upper() != "POST":
        return cases
    # A generated `started` is never a valid timer, nor are random strings a country or an email,
    # so a sign POST would stop at the first rule every time: a third of the cases carry a valid
    # timer and a real revision, and another third also valid values for all fields but a few
    # generated ones, so they reach each field's rules, the storing and the rate limits behind.
    plausible = PLAUSIBLE_SIGN_ON if operation.path.endswith("/sign-ons") else PLAUSIBLE_SIGNATURE
    return st.one_of(
        cases,
        cases.map(lambda case: _past_the_timer(case, revisions, {})),
        st.tuples(cases, st.sets(st.sampled_from(sorted(plausible)), max_size=2)).map(
            lambda pair: _past_the_timer(
                pair[0], revisions, {name: value for name, value in plausible.items() if name not in pair[1]}
            )
        ),
    )


PLAUSIBLE_SIGNATURE = {
    "name": "Ana Pérez",
    "email": "ana@example.org",
    "country": "FR",
    "city": "",
    "affiliation": "",
    "name_shown": "full",
    "wants_updates": False,
    "proof_of_work": "",
}
PLAUSIBLE_SIGN_ON = {
    "name": "Neighbourhood Readers",
    "country": "ES",
    "type": "association",
    "website": "https://readers.example",
    "contact_name": "Carla Contact",
    "contact_role": "Chair",
    "contact_email": "carla@readers.example",
    "consent": True,
}


def _past_the_timer(case: Any, revisions: dict[str, int], fields: dict[str, Any]) -> Any:
    if isinstance(case.body, dict):
        timer = SIGN_ON_FORM_TIMER if case.operation.path.endswith("/sign-ons") else SIGN_FORM_TIMER
        revision = revisions.get(case.path_parameters.get("slug"), next(iter(revisions.values())))
        started = timer.started_token(drawn_at=time.time() - 10)
        case.body = {**case.body, **fields, "started": started, "revision": revision}
    return case


def test_every_operation_answers_within_its_schema(revisions, staff_token, wsgi_application):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_application)
    ran: Counter[str] = Counter()
    answered: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    began = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        # A path holding a slug alone has no invalid value to make: any string is a (missing) slug.
        invalid_possible = len(operation.query) > 0 or len(operation.body) > 0
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if invalid_possible else [GenerationMode.POSITIVE]
        for mode in modes:

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=_cases(operation, mode, revisions, staff_token))
            def run(case: Any) -> None:
                ran[case.operation.label] += 1
                response = case.call_and_validate(checks=CHECKS)
                answered[case.operation.label, response.status_code] += 1

            try:
                run()
            except BaseException as failure:  # every operation runs, and all its failures are shown
                if isinstance(failure, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    total = sum(ran.values())
    print(f"\nschemathesis: {total} cases over {len(ran)} operations in {time.monotonic() - began:.1f} s")  # noqa: T201
    assert not failures, "\n\n".join(failures)
    assert len(ran) >= 9
    assert total >= MIN_CASES, ran
    # The real slugs were read: every read answered with data, not only with 404s; some sign POSTs
    # got past the timer to be accepted; every staff action got past the token to its own rules.
    for label in ran:
        if "/staff/" in label and label.startswith("POST"):
            assert sum(count for (seen, status), count in answered.items() if seen == label and status != 401), label
        else:
            assert answered[label, 200 if label.startswith("GET") else 202] > 0, label
