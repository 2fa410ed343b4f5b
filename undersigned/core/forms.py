"""Form pieces shared by the domains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_stubs_ext import StrPromise

from undersigned.core.addresses import InvalidAddressError, normalise_email
from undersigned.core.languages import language_direction, native_language_name
from undersigned.core.plain_text import has_control_characters


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


def no_control_characters(value: str) -> None:
    if has_control_characters(value):
        raise forms.ValidationError(_("Remove the invisible control characters from this field."))


class CompleteEmailField(forms.EmailField):
    """An email address complete enough to be sent to and recognised again: a name, one @ and a
    domain with a dot (Django's own check lets ``name@host`` through)."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)  # Django's own checks and messages first
        if value:
            try:
                normalise_email(value)
            except InvalidAddressError:
                raise forms.ValidationError(_("Enter a complete email address, like name@example.org.")) from None
        return str(value)


class CodeSelect(forms.Select):
    """A list for a ``CharField`` of codes: the field's ``max_length`` still checks what is sent,
    but the ``maxlength`` attribute Django gives its widget is not HTML a ``select`` may carry."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("maxlength", None)
        return context


class CountrySelect(CodeSelect):
    """The country list, built (localised and sorted) only when the form is drawn, not when a sign
    POST is checked: a signer's country is checked by a lookup instead."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        self.choices = [("", _("Choose your country")), *list(countries)]
        return super().get_context(name, value, attrs)


def known_country(code: str) -> None:
    if code not in countries:
        raise forms.ValidationError(_("Choose your country from the list."))
