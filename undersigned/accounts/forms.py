from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.models import User
from undersigned.accounts.services import SignInLock, staff_sign_in_failed, staff_sign_in_lock
from undersigned.core.network import network_hash

LOCKED_OUT = {
    SignInLock.ACCOUNT: _("Too many failed sign-ins. Wait 15 minutes, then try again."),
    SignInLock.ACCOUNT_DAY: _(
        "Too many failed sign-ins for this account today. Try again tomorrow, or ask the secretariat to reset "
        "your password."
    ),
    SignInLock.NETWORK: _("Too many failed sign-ins from your network. Wait an hour, then try again."),
}


def _lock_error(email: str, request: HttpRequest) -> ValidationError | None:
    lock = staff_sign_in_lock(email=email, network_hash=network_hash(request))
    return None if lock is None else ValidationError(LOCKED_OUT[lock], code="throttled")


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("This email address and password do not match an active staff account."),
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username") or ""
        if self.request is not None and (locked := _lock_error(email, self.request)) is not None:
            raise locked
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and email:
                staff_sign_in_failed(email=email, network_hash=network_hash(self.request))
            raise


class CodeForm(forms.Form):
    """A code from the authenticator app, or one of the backup codes, checked by ``accept`` (which
    returns what the code opened, or None) under the same lock-out as the password
    (``staff_sign_in_lock``). What the code opened is ``accepted``."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("The six digits your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={
                # Not inputmode=numeric: backup codes have letters, and a phone would offer digits only.
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
                "dir": "ltr",
            }
        ),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        request: HttpRequest,
        user: User,
        accept: Callable[[str], Any],
        wrong: str,
    ) -> None:
        super().__init__(data)
        self.request, self.user, self.accept, self.wrong = request, user, accept, wrong
        self.accepted: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = cleaned.get("code")
        if code is None:
            return cleaned
        if (locked := _lock_error(self.user.email, self.request)) is not None:
            raise locked
        self.accepted = self.accept(code)
        if self.accepted is None:
            staff_sign_in_failed(email=self.user.email, network_hash=network_hash(self.request))
            self.add_error("code", self.wrong)
        return cleaned


class StaffPasswordResetForm(PasswordResetForm):
    """Sends the reset link through the site's mail queue, in the interface language, like every
    other mail; and only to active staff accounts with a usable password (Django's own rule)."""

    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autofocus": True})
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.conf import settings
        from django.urls import reverse
        from django.utils.translation import get_language

        from undersigned.notifications.services import mail_enqueue

        link = settings.SITE_URL + reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        mail_enqueue(
            name="staff_password_reset",
            to=to_email,
            language=get_language() or settings.LANGUAGE_CODE,
            context={"reset_url": link, "full_name": context["user"].full_name},
        )
