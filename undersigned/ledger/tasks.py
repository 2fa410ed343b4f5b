from __future__ import annotations

from django_tasks import task

from undersigned.ledger.services import seal_pending


@task()
def seal_ledger() -> str:
    """Safe to run twice, at once too (the task sweep may run it again): each batch locks its
    statements and chains only events still pending, deleting them in the same transaction."""
    outcome = seal_pending()
    return f"sealed {outcome.sealed} event(s) of {outcome.statements} statement(s)"


@task()
def send_checkpoint_to_witnesses() -> str:
    """Safe to run twice: a witness that has the checkpoint already says so (or cosigns again)."""
    from undersigned.ledger.witnessing import witness_newest_checkpoint

    outcomes = witness_newest_checkpoint()
    return "; ".join(outcomes) or "no witness"
