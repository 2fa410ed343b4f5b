from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.core.exceptions import DomainError
from undersigned.ledger.witness_services import (
    MAX_URL_LENGTH,
    MAX_VKEY_LENGTH,
    witness_key_parsed,
    witness_url_normalised,
)


class WitnessForm(forms.Form):
    """A witness to add. Each field is checked by the service's own rule, so a key and an address
    that are both wrong are both named; ``witness_add`` checks them again."""

    vkey = forms.CharField(
        label=_("The witness's public key"),
        max_length=MAX_VKEY_LENGTH,
        help_text=_("As the witness publishes it: its name, a plus sign, the key id, a plus sign and the key."),
        widget=forms.TextInput(attrs={"dir": "ltr", "spellcheck": "false", "autocomplete": "off"}),
    )
    url = forms.CharField(
        label=_("The witness's address"),
        max_length=MAX_URL_LENGTH,
        help_text=_("The URL prefix the witness gives for submissions; the site posts to add-checkpoint under it."),
        widget=forms.URLInput(attrs={"dir": "ltr", "spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_vkey(self) -> str:
        vkey = str(self.cleaned_data["vkey"])
        try:
            witness_key_parsed(vkey)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return vkey

    def clean_url(self) -> str:
        try:
            return witness_url_normalised(str(self.cleaned_data["url"]))
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
