from __future__ import annotations

from django_tasks import task

from undersigned.notifications.services import mail_deliver


@task()
def deliver_mail(mail_id: str) -> str:
    """Takes an id, never an address: task rows outlive the message and hold no personal data.

    Runs with no transaction open: ``mail_deliver`` opens its own short ones around the sending.
    Safe to run twice (the task sweep runs it again when its worker died): a run sends only a
    message it has claimed, and finds a sent one gone.
    """
    return mail_deliver(mail_id=mail_id)
