"""The public forms' check that a person, not a script, filled them in: a hidden field people
leave empty (the honeypot) and a signed time at which the form was drawn, which must be at least
``settings.FORM_MIN_FILL_SECONDS`` and at most an hour old when it comes back. A time token alone
cannot stop a script that fetches the page once and posts many times: the services that accept a
form also cap how often one drawn form is used (``signatures.services``, rule ``sign.form_token``).

Each form has a ``FormTimer`` of its own (its own salt), so a token drawn for one form is no use
on another. Services call ``check``; forms and views call ``started_token`` to draw the form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from undersigned.core.exceptions import DomainError

MAX_FORM_AGE_SECONDS = 60 * 60
TOO_FAST = "too_fast"


@dataclass(frozen=True)
class FormTimer:
    salt: str
    message: str | Promise = _("The form was sent back too quickly. Check your details and send it again.")
    expired_message: str | Promise = _("The form was open for more than an hour. Check your details and send it again.")

    def started_token(self, *, drawn_at: float | None = None) -> str:
        """The hidden ``started`` value of a form drawn now (or at ``drawn_at``, Unix seconds)."""
        return signing.dumps(int(time.time() if drawn_at is None else drawn_at), salt=self.salt)

    def redrawn(self, posted: QueryDict, *, honeypot: str) -> QueryDict:
        """What a form refused as too fast is drawn again with: what the person typed, a timer
        started now and an empty honeypot."""
        data = posted.copy()
        data["started"], data[honeypot] = self.started_token(), ""
        return data

    def refusal(self, *, started: str, honeypot: str) -> DomainError | None:
        """``DomainError("too_fast")`` for a form a script probably sent, or one drawn too long
        ago; else None. Either way the page draws the form again with what was typed."""
        if honeypot:
            return DomainError(TOO_FAST, str(self.message))
        try:
            drawn_at = int(signing.loads(started, salt=self.salt, max_age=MAX_FORM_AGE_SECONDS))
        except signing.SignatureExpired:
            return DomainError(TOO_FAST, str(self.expired_message))
        except (signing.BadSignature, TypeError, ValueError):
            return DomainError(TOO_FAST, str(self.message))
        age = time.time() - drawn_at
        if age > MAX_FORM_AGE_SECONDS:
            return DomainError(TOO_FAST, str(self.expired_message))
        if age < settings.FORM_MIN_FILL_SECONDS:
            return DomainError(TOO_FAST, str(self.message))
        return None

    def check(self, *, started: str, honeypot: str) -> None:
        """Raises ``refusal``'s error, if any."""
        refusal = self.refusal(started=started, honeypot=honeypot)
        if refusal is not None:
            raise refusal
