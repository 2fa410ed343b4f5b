from __future__ import annotations

import unicodedata
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from undersigned.actions.models import DESCRIPTION_LIMIT, SolidarityAction
from undersigned.actions.photos import MAX_PHOTO_BYTES
from undersigned.actions.services import ActionInput, ReporterInput
from undersigned.core.forms import CodeSelect, CompleteEmailField, known_country, no_control_characters
from undersigned.core.languages import content_language_choices
from undersigned.organisations.forms import HttpUrlField
from undersigned.organisations.models import Organisation


class ActionCountrySelect(CodeSelect):
    """The country list, localised and sorted when the form is drawn."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        self.choices = [("", _("Choose the country")), *list(countries)]
        return super().get_context(name, value, attrs)


def no_control_characters_but_lines(value: str) -> None:
    """A description keeps its line breaks; other invisible control characters are refused."""
    if any(unicodedata.category(character) in {"Cc", "Cs"} and character not in "\n\r\t" for character in value):
        raise forms.ValidationError(_("Remove the invisible control characters from this field."))


class ActionFieldsForm(forms.Form):
    """What an action is, as both ways of reporting ask it. The rules on the values (the dates
    allowed, the link's scheme, the limits) are the service's, whose messages the view puts on the
    fields."""

    kind = forms.ChoiceField(label=_("Kind of action"))
    date = forms.DateField(
        label=_("Date"),
        help_text=_("The day it was held, or the day it is planned for."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    city = forms.CharField(label=_("City or town"), max_length=120)
    country = forms.CharField(label=_("Country"), max_length=2, validators=[known_country], widget=ActionCountrySelect)
    description = forms.CharField(
        label=_("Description"),
        help_text=_("A few lines on what was done, in any language, at most 1,000 characters."),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": DESCRIPTION_LIMIT, "dir": "auto"}),
        strip=True,
    )
    description_language = forms.ChoiceField(label=_("Language of the description (optional)"), required=False)
    link = forms.CharField(
        label=_("Link (optional)"),
        help_text=_("A web page about the action, such as a report or an article."),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"dir": "ltr"}),
    )
    participants = forms.IntegerField(
        label=_("How many took part (optional)"),
        help_text=_("Your organisation's own figure; it is shown as such."),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
    )
    # Checked and re-encoded by the service (``photos.process_photo``), whose messages the view shows.
    photo = forms.FileField(
        label=_("Photo (optional)"),
        help_text=_(
            "A JPEG, PNG or WebP image of at most 8 MB. It is published smaller, with what the camera "
            "recorded (such as the place and time) removed."
        ),
        required=False,
        # The warning on faces, drawn just before the field, is read with its help.
        widget=forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "aria-describedby": "photo-warning id_photo_helptext"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            ("", _("Choose a kind")),
            *SolidarityAction.Kind.choices,
        ]
        cast(forms.ChoiceField, self.fields["description_language"]).choices = content_language_choices()
        self.fields["city"].validators.append(no_control_characters)
        self.fields["description"].validators.append(no_control_characters_but_lines)
        self.fields["link"].validators.append(no_control_characters)

    def action_input(self) -> ActionInput:
        data = self.cleaned_data
        return ActionInput(
            kind=data["kind"],
            date=data["date"],
            city=data["city"],
            country=data["country"],
            description=data["description"],
            description_language=data["description_language"] or "",
            link=data["link"] or "",
            participants=data["participants"],
            photo=_upload_bytes(data["photo"]),
        )


class ActionReportForm(ActionFieldsForm):
    """A member organisation's report of an action, by its signed-in contact."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    field_order = ["organisation"]

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["organisation"]).choices = [
            (organisation.pk, organisation.name) for organisation in organisations
        ]


class ActionOpenReportForm(ActionFieldsForm):
    """The report of an organisation that is not a member: the organisation and its contact, then
    the action. Names are checked by the service (``check_name``), whose messages the view shows."""

    organisation_name = forms.CharField(label=_("Organisation's name"), max_length=200)
    organisation_website = HttpUrlField(
        label=_("Organisation's website (optional)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"dir": "ltr", "autocomplete": "url"}),
    )
    contact_name = forms.CharField(label=_("Contact person's name"), max_length=200)
    contact_role = forms.CharField(label=_("Their role in the organisation (optional)"), max_length=120, required=False)
    contact_email = CompleteEmailField(
        label=_("Contact email address"),
        max_length=254,
        help_text=_("We send the confirmation link here. It is never shown and never shared."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people, filled in by simple bots.
    fax = forms.CharField(required=False, label=_("Leave this empty"))
    field_order = ["organisation_name", "organisation_website", "contact_name", "contact_role", "contact_email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("organisation_name", "organisation_website", "contact_name", "contact_role"):
            self.fields[name].validators.append(no_control_characters)

    def reporter_input(self) -> ReporterInput:
        data = self.cleaned_data
        return ReporterInput(
            organisation_name=data["organisation_name"],
            organisation_website=data["organisation_website"] or "",
            contact_name=data["contact_name"],
            contact_role=data["contact_role"] or "",
            contact_email=data["contact_email"],
        )


def _upload_bytes(upload: UploadedFile | None) -> bytes | None:
    """The upload's bytes, read no further than one byte past the limit (which the service refuses)."""
    if upload is None:
        return None
    upload.seek(0)
    return upload.read(MAX_PHOTO_BYTES + 1)


class ActionReviewForm(forms.Form):
    """The review queue's form: the chosen actions, the decision, and a reason for a rejection."""

    chosen = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason for a rejection (kept for the editors, shown to nobody)"), max_length=500, required=False
    )

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["chosen"]).choices = [(pk, str(pk)) for pk in choices]
        self.fields["reason"].validators.append(no_control_characters)


class ActionDescriptionForm(forms.Form):
    """An editor's correction of one waiting action's description. The limit's message is the
    service's, so no ``max_length`` here: the page says how long the text is."""

    edit = forms.TypedChoiceField(coerce=int)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        strip=True,
        error_messages={"required": _("Describe the action in a few lines.")},
    )

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["edit"]).choices = [(pk, str(pk)) for pk in choices]
        self.fields["description"].validators.append(no_control_characters_but_lines)


class ActionPhotoForm(forms.Form):
    """An editor blurs or removes the photo of one action in the queue."""

    photo_of = forms.TypedChoiceField(coerce=int)
    change = forms.ChoiceField(choices=[("blur", _("Blur the photo")), ("remove", _("Remove the photo"))])

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["photo_of"]).choices = [(pk, str(pk)) for pk in choices]
