from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.core.forms import CompleteEmailField
from undersigned.statements.models import MAX_RETENTION_DAYS


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


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my records are erased for good and cannot be restored."),
        error_messages={"required": _("Tick the box to confirm that you want your records erased.")},
    )


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label=_("Days after the statement closes"),
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text=_("Signers' and contacts' personal data is deleted this many days after the statement closes."),
        error_messages={
            "required": _("Enter a number of days."),
            "invalid": _("Enter a whole number of days, like 90."),
            "min_value": _("Enter at least 1 day."),
            "max_value": _("Enter at most %(limit_value)s days (ten years)."),
        },
        # A text box (styled like the others) that brings up the digits on a phone.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
