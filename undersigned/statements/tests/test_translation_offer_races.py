"""Offers sent at the same moment (PostgreSQL: SQLite takes one writer at a time, so it proves
nothing): two organisations offering the same language, or one organisation two languages. The
database's rules decide; the loser gets the same clear refusal as when it comes second."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from undersigned.core.exceptions import DomainError
from undersigned.core.models import AuditEvent
from undersigned.organisations.models import Organisation
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.models import StatementText
from undersigned.statements.services import TextInput, translation_offer
from undersigned.statements.tests.builders import published_statement

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")


def at_once(offers: list[Callable[[], object]]) -> list[str]:
    barrier = threading.Barrier(len(offers), timeout=30)

    def run(offer: Callable[[], object]) -> str:
        try:
            barrier.wait()
            offer()
            return "stored"
        except DomainError as error:
            return f"{error.code} {error.status}"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(offers)) as pool:
        return sorted(pool.map(run, offers))


def test_two_organisations_offering_one_language_at_once_store_one(libraries):
    ensure_builtin_types()
    statement = published_statement(libraries, translations=())
    first = member_organisation()
    second = member_organisation(name="Harbour Readers", domain="harbour-readers.example")

    def offer(organisation: Organisation) -> Callable[[], object]:
        text = TextInput(title=f"Declaración de {organisation.name}", body="Un párrafo.")
        return lambda: translation_offer(statement=statement, organisation=organisation, language="es", text=text)

    assert at_once([offer(first), offer(second)]) == ["language_taken 409", "stored"]
    text = StatementText.objects.get(statement=statement, language="es")
    assert text.translator_credit == text.offered_by.name
    assert AuditEvent.objects.filter(action="text.offered").count() == 1


def test_one_organisation_offering_two_languages_at_once_stores_one(libraries):
    ensure_builtin_types()
    statement = published_statement(libraries, translations=())
    organisation = member_organisation()

    def offer(language: str) -> Callable[[], object]:
        text = TextInput(title=f"Texto {language}", body="Un párrafo.")
        return lambda: translation_offer(statement=statement, organisation=organisation, language=language, text=text)

    assert at_once([offer("es"), offer("de"), offer("it")]) == ["offer_waiting 409", "offer_waiting 409", "stored"]
    assert StatementText.objects.filter(offered_by=organisation).count() == 1
    assert AuditEvent.objects.filter(action="text.offered").count() == 1
