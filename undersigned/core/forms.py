"""Form pieces shared by the domains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django_stubs_ext import StrPromise

from undersigned.core.languages import language_direction, native_language_name


@dataclass(frozen=True)
class LanguageField:
    """One field that a form repeats for every language, e.g. a name or a mandate."""

    name: str
    label: str | StrPromise
    max_length: int
    multiline: bool = False


class PerLanguageFieldsMixin(forms.Form):
    """Adds ``<field>_<language>`` fields, each marked with its language and writing direction."""

    def add_language_fields(
        self, languages: Sequence[str], specs: Sequence[LanguageField], existing: Mapping[str, Any]
    ) -> None:
        self.languages = tuple(languages)
        self.language_specs = tuple(specs)
        for code in self.languages:
            stored = existing.get(code)
            attrs = {"lang": code, "dir": language_direction(code)}
            for spec in specs:
                widget: forms.Widget = (
                    forms.Textarea(attrs={**attrs, "rows": 3}) if spec.multiline else forms.TextInput(attrs=attrs)
                )
                self.fields[f"{spec.name}_{code}"] = forms.CharField(
                    label=spec.label,
                    max_length=spec.max_length,
                    required=False,
                    initial=getattr(stored, spec.name, "") if stored is not None else "",
                    widget=widget,
                )

    def language_sections(self) -> list[dict[str, Any]]:
        """Per language: its code, its name in itself, and its bound fields, for the template."""
        return [
            {
                "code": code,
                "name": native_language_name(code),
                "fields": [self[f"{spec.name}_{code}"] for spec in self.language_specs],
            }
            for code in self.languages
        ]

    def language_values(self, code: str) -> dict[str, str]:
        return {spec.name: self.cleaned_data[f"{spec.name}_{code}"] for spec in self.language_specs}
