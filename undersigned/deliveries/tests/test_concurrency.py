"""Two editors press "Deliver" at the same moment: one delivery, one mail per target (PostgreSQL:
SQLite takes one writer at a time, so it proves nothing)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from undersigned.core.exceptions import DomainError
from undersigned.deliveries.models import Delivery, DeliveryRecipient
from undersigned.deliveries.services import delivery_create
from undersigned.deliveries.tests.conftest import add_target
from undersigned.ledger.models import PendingEvent
from undersigned.statements.tests.builders import published_statement

pytestmark = pytest.mark.django_db(transaction=True)

EDITORS = 2


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")


def test_two_editors_delivering_at_once_send_once(libraries):
    statement = published_statement(libraries, translations=("fr",))
    add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    add_target(statement, name="Rapporteur", email="rapporteur@un.example", language="en")
    barrier = threading.Barrier(EDITORS, timeout=30)

    def press_deliver(_: int) -> str:
        try:
            barrier.wait()
            delivery_create(
                actor=None, statement=statement, covering_text="Here it is.", seen_deliveries=0, again_today=False
            )
            return "delivered"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=EDITORS) as pool:
        outcomes = sorted(pool.map(press_deliver, range(EDITORS)))
    assert outcomes == ["delivered", "delivered_meanwhile"]
    assert Delivery.objects.count() == 1
    assert DeliveryRecipient.objects.count() == 2
    assert (
        PendingEvent.objects.filter(kind="statement.delivered").count()
        + statement.ledger_entries.filter(kind="statement.delivered").count()
        == 1
    )
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="send_delivery").count() == 2
