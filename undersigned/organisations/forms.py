from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from undersigned.core.forms import CompleteEmailField, CountrySelect, known_country, no_control_characters
from undersigned.core.plain_text import name_refusal
from undersigned.organisations.models import OrganisationType
from undersigned.organisations.services.sign_ons import SignOnInput
from undersigned.organisations.types import type_label


class OrganisationTypeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrganisationType) -> str:
        return type_label(obj)


class HttpUrlField(forms.URLField):
    """A website address: http or https only (no javascript:, data: or ftp: links on public pages)."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class SignOnForm(forms.Form):
    """An organisation's sign-on. Field order is the order on the page."""

    name = forms.CharField(label=_("Organisation's name"), max_length=200)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        validators=[known_country],
        widget=CountrySelect(attrs={"autocomplete": "country"}),
    )
    type = OrganisationTypeField(
        label=_("Type of organisation"), queryset=OrganisationType.objects.all(), empty_label=_("Choose a type")
    )
    website = HttpUrlField(
        label=_("Website (optional)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"dir": "ltr", "autocomplete": "url"}),
    )
    logo = forms.FileField(
        label=_("Logo (optional)"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB. It is shown at a small fixed size."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    contact_name = forms.CharField(label=_("Contact person's name"), max_length=200)
    contact_role = forms.CharField(label=_("Their role in the organisation"), max_length=120)
    contact_email = CompleteEmailField(
        label=_("Contact email address"),
        max_length=254,
        help_text=_("We send the confirmation link here. It is never shown and never shared."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    consent = forms.BooleanField(
        label=_("We agree that our organisation's name is published under this statement."),
        error_messages={"required": _("Tick this box: a sign-on is published with the organisation's name.")},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)
    started = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people, filled in by simple bots.
    fax = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "contact_name", "contact_role"):
            self.fields[name].validators.append(no_control_characters)

    def _clean_plain(self, name: str) -> str:
        value = " ".join(self.cleaned_data[name].split())
        if "<" in value or ">" in value:
            raise forms.ValidationError(_("Names cannot contain < or >."))
        if not value:
            raise forms.ValidationError(_("This field is required."))
        return value

    def clean_name(self) -> str:
        return self._clean_name("name")

    def clean_contact_name(self) -> str:
        return self._clean_name("contact_name")

    def _clean_name(self, name: str) -> str:
        value = self._clean_plain(name)
        refusal = name_refusal(value)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return value

    def clean_contact_role(self) -> str:
        return self._clean_plain("contact_role")

    def sign_on_input(self) -> SignOnInput:
        """The form's fields for the service; the logo file goes to it apart, to be processed only
        once every other rule holds."""
        data = self.cleaned_data
        return SignOnInput(
            name=data["name"],
            country=data["country"],
            type=data["type"],
            website=data["website"] or "",
            contact_name=data["contact_name"],
            contact_role=data["contact_role"],
            contact_email=data["contact_email"],
        )


class MemberSignInForm(forms.Form):
    email = CompleteEmailField(
        label=_("Your email address at your organisation"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )


class ReviewForm(forms.Form):
    """The review queue's form: the chosen sign-ons, the action, and a reason for a rejection."""

    chosen = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason for a rejection (sent to the contact)"), max_length=500, required=False)

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["chosen"]).choices = [(pk, str(pk)) for pk in choices]
