"""A first second factor is set up only after its account's mailbox was shown to be its owner's.

Whoever holds a password alone must not be able to bind their own phone to an account that has no
authenticator yet: the real owner would then be the one locked out. So the set-up page of an
account without one asks for a link sent to the account's address, valid once and for an hour,
opened in the same signed-in session. Replacing an existing authenticator asks for a code of the
current one instead (``security_views.second_factor_setup``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.models import User
from undersigned.core import ratelimit
from undersigned.core.links import LinkInvalidError, LinkKind, ids_value, make_link, spend_link

ALLOWED_SESSION_KEY = "second_factor_enrolment_allowed"
LINK_HOURS = 1


def _user_id(value: Any) -> int:
    # The second number only makes each link its own: two asked for in one second stay two links.
    return ids_value(2)(value)[0]


ENROLMENT_LINK = LinkKind(
    salt="undersigned.accounts.enrolment",
    max_age=timedelta(hours=LINK_HOURS),
    to_value=lambda user_id: [user_id, secrets.randbelow(2**31)],
    from_value=_user_id,
    hint=_("The link works once, for one hour. Sign in again and ask for a new one on the set-up page."),
    renew_url_name="accounts:second_factor_setup",
    single_use=True,
)


def enrolment_allowed(request: HttpRequest, user: User) -> bool:
    return request.session.get(ALLOWED_SESSION_KEY) == user.pk


def enrolment_link_send(*, user: User, language: str) -> bool:
    """Mails ``user`` the link that opens the set-up; False (nothing sent) after three in an hour."""
    from undersigned.accounts.services import account_key
    from undersigned.notifications.services import mail_enqueue

    if not ratelimit.allow(("enrolment_link.account", account_key(user.email))):
        return False
    link = settings.SITE_URL + reverse("accounts:second_factor_enrol", args=[make_link(ENROLMENT_LINK, user.pk)])
    mail_enqueue(
        name="staff_second_factor_enrolment",
        to=user.email,
        language=language,
        context={"enrol_url": link, "full_name": user.full_name},
    )
    return True


def enrolment_link_open(request: HttpRequest, *, user: User, token: str) -> None:
    """Lets this session set up ``user``'s first authenticator; raises a ``LinkError`` for a link
    that is forged, expired, used, or another account's."""
    if spend_link(ENROLMENT_LINK, token) != user.pk:
        raise LinkInvalidError(ENROLMENT_LINK)
    request.session[ALLOWED_SESSION_KEY] = user.pk
