from __future__ import annotations

from django_tasks import task

from undersigned.deliveries.services import recipient_send


@task()
def send_delivery(recipient_id: int) -> str:
    """Takes an id, never an address. Runs with no transaction open: ``recipient_send`` opens its
    own short ones around building the PDF and sending.

    A second run is harmless: it claims the recipient first, so it finds it "held" while a lease
    holds, or "done" once sent or given up (the task sweep runs it again after a worker died)."""
    return recipient_send(recipient_id=recipient_id)
