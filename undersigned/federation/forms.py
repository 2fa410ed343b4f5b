from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.core.languages import interface_language_codes, language_direction, native_language_name
from undersigned.federation.models import Federation
from undersigned.federation.selectors import LocalisedText


def _language_choices() -> list[tuple[str, str]]:
    return [(code, native_language_name(code)) for code in interface_language_codes()]


class FederationForm(forms.Form):
    """The federation's identity, with a name and description field pair per interface language."""

    default_language = forms.ChoiceField(label=_("Default language"), choices=_language_choices)
    offered_languages = forms.MultipleChoiceField(
        label=_("Offered languages"),
        choices=_language_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Readers can switch between these; the default language must be one of them."),
    )
    contact_email = forms.EmailField(label=_("Contact address"), required=False)

    def __init__(self, *args: Any, federation: Federation | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = {text.language: text for text in federation.texts.all()} if federation else {}
        for code in interface_language_codes():
            text = existing.get(code)
            attrs = {"lang": code, "dir": language_direction(code)}
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name"),
                max_length=200,
                required=False,
                initial=text.name if text else "",
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Short description"),
                max_length=1000,
                required=False,
                initial=text.description if text else "",
                widget=forms.Textarea(attrs={**attrs, "rows": 3}),
            )
        if federation is not None:
            self.fields["default_language"].initial = federation.default_language
            self.fields["offered_languages"].initial = federation.offered_languages
            self.fields["contact_email"].initial = federation.contact_email
        else:
            self.fields["offered_languages"].initial = interface_language_codes()

    def language_sections(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "name": native_language_name(code),
                "name_field": self[f"name_{code}"],
                "description_field": self[f"description_{code}"],
            }
            for code in interface_language_codes()
        ]

    def localised_texts(self) -> dict[str, LocalisedText]:
        return {
            code: LocalisedText(
                name=self.cleaned_data[f"name_{code}"], description=self.cleaned_data[f"description_{code}"]
            )
            for code in interface_language_codes()
        }
