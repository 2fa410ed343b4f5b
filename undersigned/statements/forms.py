from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.models import User
from undersigned.commissions.selectors import CommissionSummary
from undersigned.core.languages import (
    content_language_choices,
    is_content_language,
    language_direction,
    native_language_name,
)
from undersigned.organisations.models import Organisation
from undersigned.statements.importer import MAX_BYTES, ImportRefusedError, decode_upload
from undersigned.statements.models import StatementText
from undersigned.statements.services import TextInput


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


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ImportForm(forms.Form):
    """A new statement from a pasted or uploaded press release."""

    commission = forms.ChoiceField(label=_("Issuing body"))
    language = forms.ChoiceField(
        label=_("Language of the text"), help_text=_("The original language: its text is authoritative.")
    )
    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to make one from the title."),
    )
    source = forms.CharField(
        label=_("Press release"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_(
            "Paste the plain text: the title on the first line, then the date, the headline calls, the paragraphs "
            "and the end mark ###."
        ),
        error_messages={
            "null_characters_not_allowed": _(
                "The text holds a NUL character, which plain text never does: it was probably copied from a "
                "binary file. Copy the text again from the document, or save it as plain text and upload it."
            )
        },
    )
    upload = forms.FileField(label=_("Or upload a text file"), required=False)
    opens_at = forms.DateTimeField(label=_("Sign-on opens (UTC)"), required=False, widget=DateTimeLocalInput())
    closes_at = forms.DateTimeField(label=_("Sign-on closes (UTC)"), required=False, widget=DateTimeLocalInput())

    def __init__(self, *args: Any, bodies: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["commission"]).choices = list(bodies)
        cast(forms.ChoiceField, self.fields["language"]).choices = content_language_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("upload")
        if upload is not None:
            try:
                cleaned["source"] = decode_upload(upload.read(MAX_BYTES + 1))
            except ImportRefusedError as refusal:
                self.add_error("upload", str(refusal))
        elif "source" not in self.errors and not (cleaned.get("source") or "").strip():
            self.add_error("source", _("Paste the press release here, or upload it as a file."))
        return cleaned


class TextForm(forms.Form):
    """One language's text, as the editor and the translator see it."""

    title = forms.CharField(label=_("Title"), max_length=300)
    dateline_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    dateline_place = forms.CharField(label=_("Place"), max_length=120, required=False)
    headline_calls = forms.CharField(
        label=_("Headline calls"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Paragraphs separated by an empty line. Markdown: *emphasis*, **strong**, [link](https://…)."),
    )
    call_to_action = forms.CharField(
        label=_("Call to action"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    translator_credit = forms.CharField(label=_("Translator credit"), max_length=200, required=False)
    change_note = forms.CharField(
        label=_("Change note"),
        max_length=500,
        required=False,
        help_text=_("Shown to readers in the revision history. Required when publishing a change."),
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        direction = language_direction(language)
        for name in ("title", "dateline_place", "headline_calls", "body", "call_to_action"):
            self.fields[name].widget.attrs.update({"lang": language, "dir": direction})

    def text_input(self) -> TextInput:
        data = self.cleaned_data
        return TextInput(
            title=data["title"],
            body=data["body"],
            dateline_date=data["dateline_date"],
            dateline_place=data["dateline_place"],
            headline_calls=[line.strip() for line in data["headline_calls"].splitlines() if line.strip()],
            call_to_action=data["call_to_action"],
            translator_credit=data["translator_credit"],
        )

    @staticmethod
    def initial_from(text: StatementText) -> dict[str, Any]:
        return {
            "title": text.title,
            "dateline_date": text.dateline_date,
            "dateline_place": text.dateline_place,
            "headline_calls": "\n".join(text.headline_calls),
            "body": text.body,
            "call_to_action": text.call_to_action,
            "translator_credit": text.translator_credit,
        }


class LanguageChoiceForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))

    def __init__(self, *args: Any, exclude: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        excluded = set(exclude)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            (group, [choice for choice in options if choice[0] not in excluded])
            if isinstance(options, list)
            else (group, options)
            for group, options in content_language_choices()
        ]


class TranslatorAssignmentForm(LanguageChoiceForm):
    translator = forms.ModelChoiceField(label=_("Translator"), queryset=User.objects.none())

    def __init__(self, *args: Any, translators: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["translator"]).queryset = translators


class WindowForm(forms.Form):
    opens_at = forms.DateTimeField(label=_("Sign-on opens (UTC)"), required=False, widget=DateTimeLocalInput())
    closes_at = forms.DateTimeField(label=_("Sign-on closes (UTC)"), required=False, widget=DateTimeLocalInput())


class TranslationOfferForm(forms.Form):
    """A member organisation's offer of a translation: the fields of a text but its credit, which is
    the organisation's name. The language is chosen among those the statement has no text in; one
    that has a text meanwhile is refused with its own message (here, and by the service for a
    race). The rules on the text's values are the service's, whose messages the view puts on the
    fields."""

    organisation = forms.TypedChoiceField(label=_("Offered by"), coerce=int)
    language = forms.CharField(label=_("Language of the translation"), max_length=16)
    title = forms.CharField(label=_("Title"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"}))
    dateline_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    dateline_place = forms.CharField(
        label=_("Place"), max_length=120, required=False, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    headline_calls = forms.CharField(
        label=_("Headline calls"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("One per line."),
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18, "dir": "auto"}),
        help_text=_("Paragraphs separated by an empty line. Markdown: *emphasis*, **strong**, [link](https://…)."),
    )
    call_to_action = forms.CharField(
        label=_("Call to action"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def __init__(
        self, *args: Any, organisations: Sequence[Organisation], existing_languages: Collection[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.existing_languages = frozenset(existing_languages)
        cast(forms.TypedChoiceField, self.fields["organisation"]).choices = [
            (organisation.pk, organisation.name) for organisation in organisations
        ]
        self.fields["language"].widget = forms.Select(
            choices=[
                (group, [choice for choice in options if choice[0] not in self.existing_languages])
                if isinstance(options, list)
                else (group, options)
                for group, options in content_language_choices()
            ]
        )

    def clean_language(self) -> str:
        language: str = self.cleaned_data["language"]
        if not is_content_language(language):
            raise forms.ValidationError(_("Choose a language from the list."))
        if language in self.existing_languages:
            raise forms.ValidationError(
                _(
                    "This statement already has a text in %(language)s, published or being prepared: "
                    "choose another language."
                )
                % {"language": native_language_name(language)}
            )
        return language

    def text_input(self) -> TextInput:
        data = self.cleaned_data
        return TextInput(
            title=data["title"],
            body=data["body"],
            dateline_date=data["dateline_date"],
            dateline_place=data["dateline_place"],
            headline_calls=[line.strip() for line in data["headline_calls"].splitlines() if line.strip()],
            call_to_action=data["call_to_action"],
        )
