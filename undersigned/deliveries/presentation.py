"""The delivery record as the statement page shows it, in the reader's language, and what the
staff page says of a mail sent with other counts than its delivery recorded."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.actions.presentation import actions_in_countries
from undersigned.core.languages import native_language_name
from undersigned.deliveries.models import DeliveryRecipient
from undersigned.deliveries.selectors import public_record
from undersigned.statements.presentation import long_date


@dataclass(frozen=True)
class ShownDelivery:
    targets: str  # "Name, role", joined
    date: str
    signatures: int
    organisations: int


@dataclass(frozen=True)
class ShownResponse:
    who: str
    date: str
    text: str
    link: str
    language: str
    language_name: str


@dataclass(frozen=True)
class StatementDeliveryRecord:
    deliveries: list[ShownDelivery]
    responses: list[ShownResponse]


def _joined(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(some)s and %(last)s") % {"some": "; ".join(names[:-1]), "last": names[-1]}


def statement_delivery_record(statement_id: int, language: str) -> StatementDeliveryRecord | None:
    """None when the statement was never delivered and has no response: the page shows nothing."""
    record = public_record(statement_id)
    if not record:
        return None
    return StatementDeliveryRecord(
        deliveries=[
            ShownDelivery(
                targets=_joined([", ".join(part for part in (t.name, t.role) if part) for t in line.targets]),
                date=long_date(timezone.localtime(line.at).date(), language),
                signatures=line.signatures,
                organisations=line.organisations,
            )
            for line in record.deliveries
        ],
        responses=[
            ShownResponse(
                who=response.who,
                date=long_date(response.responded_on, language),
                text=response.text,
                link=response.link,
                language=response.language,
                language_name=native_language_name(response.language),
            )
            for response in record.responses
        ],
    )


def sent_actions_note(recipient: DeliveryRecipient) -> str:
    """What the recipient's mail and PDF stated of the solidarity actions, read when it was sent,
    if that is not what its delivery recorded when confirmed (actions approved or withdrawn in
    between); else "", as for a mail not sent yet."""
    if not recipient.sent_other_actions or recipient.sent_actions is None:
        return ""
    if not recipient.sent_actions:
        return _(
            "No solidarity action was approved any more when this mail was sent: neither the mail nor its "
            "PDF mentions them."
        )
    counted = actions_in_countries(recipient.sent_actions, recipient.sent_action_countries or 0)
    if recipient.mail_mentioned_actions:
        return _("The mail and its PDF stated %(actions)s, as approved when it was sent.") % {"actions": counted}
    return _("Its PDF stated %(actions)s, as approved when it was sent.") % {"actions": counted}
