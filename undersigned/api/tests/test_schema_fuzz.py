"""schemathesis against the live schema: every operation, with cases generated from the schema
(valid ones and, for the negative half, invalid ones), run through the Django WSGI application on
the test database, must answer within its own schema: no 500, no undocumented status, no body or
content type the schema does not promise.

The database holds a few published statements (one closed, one with signatures and a sign-on), and
half the cases of every operation with a ``slug`` carry one of their slugs, so the reads answer with
real data and not only 404s. The sign POSTs are refused (form timer, rate limits, made-up revisions):
their refusals must conform too. The cases actually run are counted, so the number cannot drop
silently below what the README reports."""

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

from undersigned.api.tests.conftest import approved_sign_on, confirmed_signature
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.statements.services import statement_close
from undersigned.statements.tests.builders import published_statement

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
# Per operation and generation mode: 10 operations with parameters get valid cases, and the 4 with
# a query or a body invalid cases too, 150 each; the API's root, with none, one case: 2,101 cases.
MAX_EXAMPLES = 150
MIN_CASES = 2_000


@pytest.fixture
def slugs(libraries, mobility) -> list[str]:
    ensure_builtin_types()
    signed = build_open_statement(libraries).statement
    confirmed_signature(signed, "ana@example.org", "FR")
    confirmed_signature(signed, "ben@example.org", "DE", name="Ben Braun")
    approved_sign_on(signed, "Neighbourhood Readers", "ES")
    translated = published_statement(mobility, slug="safe-streets", translations=("fr", "ar"))
    closed = published_statement(mobility, slug="closed-consultation", translations=())
    statement_close(actor=None, statement=closed)
    return [signed.slug, translated.slug, closed.slug]


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


def _cases(operation: Any, mode: GenerationMode, slugs: list[str]) -> st.SearchStrategy[Any]:
    generated = operation.as_strategy(generation_mode=mode)
    if "{slug}" not in operation.path:
        return generated
    real = [operation.as_strategy(generation_mode=mode, path_parameters={"slug": slug}) for slug in slugs]
    return st.one_of(generated, *real)


def test_every_operation_answers_within_its_schema(slugs, wsgi_application):
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
            @given(case=_cases(operation, mode, slugs))
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
    # The real slugs were read: every read answered with data, not only with 404s.
    for label in ran:
        if label.startswith("GET"):
            assert answered[label, 200] > 0, label
