"""The task benchmarks/queue_claims.py enqueues: it does nothing, so what a worker spends on it is
the queue's own cost (claiming the row, marking it running, then successful)."""

from __future__ import annotations

from django_tasks import task


@task()
def nothing(number: int) -> int:
    return number
