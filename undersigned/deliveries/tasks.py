from __future__ import annotations

from django_tasks import task

from undersigned.deliveries.services import recipient_send


@task()
def send_delivery(recipient_id: int) -> str:
    """Takes an id, never an address. Runs with no transaction open: ``recipient_send`` opens its
    own short ones around building the PDF and sending."""
    return recipient_send(recipient_id=recipient_id)
