from __future__ import annotations

from django_tasks import task

from undersigned.ledger.services import seal_pending


@task()
def seal_ledger() -> str:
    outcome = seal_pending()
    return f"sealed {outcome.sealed} event(s) of {outcome.statements} statement(s)"
