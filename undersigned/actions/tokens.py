"""Signed links in the mails to the contact of an organisation that is not a member and reported
an action: the confirmation expires after ``CONFIRM_DAYS``, the withdrawal does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from undersigned.core.links import LinkKind, ids_value, make_link

CONFIRM_DAYS = 7


@dataclass(frozen=True)
class ActionRef:
    action_id: int
    statement_id: int


def _value(ref: ActionRef) -> list[int]:
    return [ref.action_id, ref.statement_id]


def _ref(value: Any) -> ActionRef:
    action_id, statement_id = ids_value(2)(value)
    return ActionRef(action_id=action_id, statement_id=statement_id)


CONFIRM_ACTION_LINK = LinkKind(
    salt="undersigned.actions.confirm",
    max_age=timedelta(days=CONFIRM_DAYS),
    to_value=_value,
    from_value=_ref,
    hint=_("Confirmation links work for seven days. Report the action again to receive a new one."),
    broken_hint=_("Or report the action again with the same contact address: we will send the link once more."),
)
WITHDRAW_ACTION_LINK = LinkKind(
    salt="undersigned.actions.withdraw",
    max_age=None,
    to_value=_value,
    from_value=_ref,
    broken_hint=_("The contact can also withdraw the action from the page of their data: ask for its link here."),
    renew_url_name="privacy:request",
)


def confirm_action_token(ref: ActionRef) -> str:
    return make_link(CONFIRM_ACTION_LINK, ref)


def withdraw_action_token(ref: ActionRef) -> str:
    return make_link(WITHDRAW_ACTION_LINK, ref)
