from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.core.forms import CompleteEmailField, CountrySelect, known_country, no_control_characters
from undersigned.core.plain_text import name_refusal
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SignerInput


class SignForm(forms.Form):
    """The individual sign form. Field order is the order on the page."""

    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = CompleteEmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("To confirm your signature. It is never shown and never shared."),
        # Addresses are written left to right, whatever the page's direction.
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        validators=[known_country],
        widget=CountrySelect(attrs={"autocomplete": "country"}),
    )
    city = forms.CharField(label=_("City (optional)"), max_length=100, required=False)
    affiliation = forms.CharField(label=_("Organisation or affiliation (optional)"), max_length=200, required=False)
    name_shown = forms.ChoiceField(
        label=_("On the public list of signers, show"),
        choices=Signature.NameShown.choices,
        initial=Signature.NameShown.FULL,
        widget=forms.RadioSelect,
    )
    wants_updates = forms.BooleanField(
        label=_("Send me updates about this statement from its issuing body"), required=False
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)
    started = forms.CharField(widget=forms.HiddenInput)
    # Left empty by people (it is hidden from them); filled in by simple bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    # Filled in by the proof-of-work widget, which adds its own input of this name.
    altcha = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(no_control_characters)
        self.fields["city"].validators.append(no_control_characters)
        self.fields["affiliation"].validators.append(no_control_characters)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        refusal = name_refusal(name)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return name

    def signer(self) -> SignerInput:
        data = self.cleaned_data
        return SignerInput(
            name=data["name"],
            email=data["email"],
            country=data["country"],
            city=" ".join(data["city"].split()),
            affiliation=" ".join(data["affiliation"].split()),
            name_shown=data["name_shown"],
            wants_updates=data["wants_updates"],
        )
