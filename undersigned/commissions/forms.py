from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.commissions.models import Commission
from undersigned.commissions.services import CommissionTextInput
from undersigned.core.languages import language_direction, native_language_name


class CommissionForm(forms.Form):
    """A commission's short name and, per offered language, its name and mandate."""

    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=80,
        help_text=_("Lower-case letters, digits and hyphens, for example labour-mobility."),
    )

    def __init__(self, *args: Any, commission: Commission | None, languages: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        existing = {text.language: text for text in commission.texts.all()} if commission else {}
        if commission is not None:
            self.fields["slug"].initial = commission.slug
        for code in languages:
            text = existing.get(code)
            attrs = {"lang": code, "dir": language_direction(code)}
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name"),
                max_length=200,
                required=False,
                initial=text.name if text else "",
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"mandate_{code}"] = forms.CharField(
                label=_("Mandate"),
                max_length=4000,
                required=False,
                initial=text.mandate if text else "",
                widget=forms.Textarea(attrs={**attrs, "rows": 4}),
            )

    def language_sections(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "name": native_language_name(code),
                "name_field": self[f"name_{code}"],
                "mandate_field": self[f"mandate_{code}"],
            }
            for code in self.languages
        ]

    def localised_texts(self) -> dict[str, CommissionTextInput]:
        return {
            code: CommissionTextInput(
                name=self.cleaned_data[f"name_{code}"], mandate=self.cleaned_data[f"mandate_{code}"]
            )
            for code in self.languages
        }
