from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.core.exceptions import DomainError
from undersigned.core.forms import LanguageField, PerLanguageFieldsMixin
from undersigned.core.languages import interface_language_codes, native_language_name
from undersigned.federation.models import Federation
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import embed_origin_normalised, embed_origins_parse


def _language_choices() -> list[tuple[str, str]]:
    return [(code, native_language_name(code)) for code in interface_language_codes()]


class FederationForm(PerLanguageFieldsMixin):
    """The federation's identity, with a name and description per interface language."""

    default_language = forms.ChoiceField(label=_("Default language"), choices=_language_choices)
    offered_languages = forms.MultipleChoiceField(
        label=_("Offered languages"),
        choices=_language_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Readers can switch between these; the default language must be one of them."),
    )
    contact_email = forms.EmailField(label=_("Contact address"), required=False)
    members_skip_review = forms.BooleanField(
        label=_("Member organisations' one-click endorsements of federation statements need no review"),
        help_text=_("Sign-ons by anyone else are always reviewed. Each commission decides for its own statements."),
        required=False,
    )

    embed_origins = forms.CharField(
        label=_("Sites that may embed the sign form"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr", "spellcheck": "false"}),
        help_text=_(
            "One site address per line, such as https://member.example.org. Leave empty to let any site "
            "embed the sign form. The count badge is an image and can be shown anywhere."
        ),
    )

    def __init__(self, *args: Any, federation: Federation | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_language_fields(
            interface_language_codes(),
            [
                LanguageField("name", _("Name"), 200),
                LanguageField("description", _("Short description"), 1000, multiline=True),
            ],
            existing={text.language: text for text in federation.texts.all()} if federation else {},
        )
        if federation is not None:
            self.fields["default_language"].initial = federation.default_language
            self.fields["offered_languages"].initial = federation.offered_languages
            self.fields["contact_email"].initial = federation.contact_email
            self.fields["members_skip_review"].initial = federation.members_skip_review
            self.fields["embed_origins"].initial = "\n".join(federation.embed_origins)
        else:
            self.fields["offered_languages"].initial = interface_language_codes()

    def localised_texts(self) -> dict[str, LocalisedText]:
        return {code: LocalisedText(**self.language_values(code)) for code in self.languages}

    def clean_embed_origins(self) -> list[str]:
        """Every line that is not a site address is named, not only the first."""
        lines = str(self.cleaned_data.get("embed_origins") or "").splitlines()
        problems = []
        for line in lines:
            if line.strip():
                try:
                    embed_origin_normalised(line)
                except DomainError as error:
                    problems.append(error.message)
        if problems:
            raise forms.ValidationError(problems)
        try:
            return embed_origins_parse(lines)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
