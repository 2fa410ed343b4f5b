from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.commissions.models import Commission
from undersigned.commissions.services import CommissionTextInput
from undersigned.core.forms import LanguageField, PerLanguageFieldsMixin


class CommissionForm(PerLanguageFieldsMixin):
    """A commission's short name and, per offered language, its name and mandate."""

    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=80,
        help_text=_("Lower-case letters, digits and hyphens, for example labour-mobility."),
    )
    members_skip_review = forms.BooleanField(
        label=_("Member organisations' one-click endorsements are published without review"),
        help_text=_("Sign-ons by anyone else are always reviewed."),
        required=False,
    )

    def __init__(self, *args: Any, commission: Commission | None, languages: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if commission is not None:
            self.fields["slug"].initial = commission.slug
            self.fields["members_skip_review"].initial = commission.members_skip_review
        self.add_language_fields(
            languages,
            [LanguageField("name", _("Name"), 200), LanguageField("mandate", _("Mandate"), 4000, multiline=True)],
            existing={text.language: text for text in commission.texts.all()} if commission else {},
        )

    def localised_texts(self) -> dict[str, CommissionTextInput]:
        return {code: CommissionTextInput(**self.language_values(code)) for code in self.languages}
