from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from undersigned.api.models import Scope
from undersigned.api.services import EXPIRY_DAYS, MAX_NAME_LENGTH
from undersigned.core.plain_text import has_control_characters


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME_LENGTH,
        help_text=_("What the token is for, so that you know which one to revoke: for example “weekly counts”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Never more than your roles allow: if you lose a role, the token loses it too."),
        error_messages={"required": _("Choose at least one of the scopes.")},
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        initial=90,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Here, not in the field: the labels are in the language of this request.
        cast(forms.TypedChoiceField, self.fields["days"]).choices = [
            (days, ngettext("%(count)d day", "%(count)d days", days) % {"count": days}) for days in EXPIRY_DAYS
        ]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if has_control_characters(name):
            raise forms.ValidationError(_("Use letters, digits and punctuation only."))
        return name
