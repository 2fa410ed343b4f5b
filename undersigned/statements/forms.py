from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.commissions.selectors import CommissionSummary
from undersigned.core.languages import is_content_language, native_language_name


class StatementFilterForm(forms.Form):
    """The statements index's filters; anything unknown is ignored rather than refused."""

    body = forms.ChoiceField(label=_("Issued by"), required=False)
    language = forms.CharField(label=_("Language"), required=False, max_length=16)
    state = forms.ChoiceField(
        label=_("Signatures"),
        required=False,
        choices=[("", _("Open or closed")), ("open", _("Open")), ("closed", _("Closed"))],
    )

    def __init__(
        self, *args: Any, commissions: Sequence[CommissionSummary], languages: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        body_field = cast(forms.ChoiceField, self.fields["body"])
        body_field.choices = [
            ("", _("Any issuing body")),
            ("federation", _("The federation as a whole")),
            *[(commission.slug, commission.name) for commission in commissions],
        ]
        self.fields["language"].widget = forms.Select(
            choices=[("", _("Any language")), *[(code, native_language_name(code)) for code in languages]]
        )

    def clean_language(self) -> str:
        language: str = self.cleaned_data.get("language", "")
        return language if is_content_language(language) else ""
