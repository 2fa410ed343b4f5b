from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.signatures.forms import CompleteEmailField, looks_automated

STARTED_SALT = "undersigned.privacy.form-started"


class DataLinkForm(forms.Form):
    """Asks for the address whose records the person wants to see."""

    email = CompleteEmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address you signed with. We email the link there, and nowhere else."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people, filled in by simple bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def is_probably_a_bot(self) -> bool:
        return looks_automated(self.data, honeypot="website", salt=STARTED_SALT)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my records are erased for good and cannot be restored."),
        error_messages={"required": _("Tick the box to confirm that you want your records erased.")},
    )
