from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from undersigned.actions.presentation import actions_in_countries
from undersigned.actions.selectors import ActionCounts
from undersigned.core.forms import CompleteEmailField
from undersigned.core.languages import content_language_choices
from undersigned.deliveries.models import Target


class TargetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.CharField(label=_("Role"), max_length=200, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    email = CompleteEmailField(label=_("Email address"), max_length=254)
    language = forms.ChoiceField(label=_("Preferred language of the statement"))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = content_language_choices()
        if editing:
            self.fields["email"].required = False
            self.fields["email"].help_text = _("Leave empty to keep the address as it is.")


class _CoveringText(forms.Form):
    covering_text = forms.CharField(
        label=_("Covering text"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A few lines at the head of the mail, above the statement and its counts."),
    )


class CoveringTextForm(_CoveringText):
    """The covering text, and whether the mail mentions the statement's solidarity actions: offered
    only when it has approved actions, and ticked until the editor unticks it."""

    mention_actions = forms.BooleanField(label=_("Mention the solidarity actions"), required=False, initial=True)

    def __init__(self, *args: Any, actions: ActionCounts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not actions.total:
            del self.fields["mention_actions"]
            return
        self.fields["mention_actions"].help_text = _(
            "The mail then says that besides the signatures, organisations answered the statement with "
            "%(actions)s, which are not part of the signature count, and links to their list. The attached "
            "document sums them up either way."
        ) % {"actions": actions_in_countries(actions.total, actions.countries)}


class ConfirmDeliveryForm(_CoveringText):
    # As the preview was made: the service mentions the actions only if there are some by then.
    mention_actions = forms.BooleanField(required=False, widget=forms.HiddenInput)
    seen_deliveries = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    again_today = forms.BooleanField(label=_("Deliver again today"), required=False)


class ResponseForm(forms.Form):
    target = forms.ModelChoiceField(label=_("Target"), queryset=Target.objects.none(), required=False)
    who = forms.CharField(
        label=_("Who answered"),
        max_length=300,
        required=False,
        help_text=_("Needed when it is none of the targets; else their name and role are shown."),
    )
    responded_on = forms.DateField(label=_("Date of the answer"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=_("Text of the answer"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    link = forms.URLField(label=_("Or a link to it"), required=False, max_length=500, assume_scheme="https")
    language = forms.ChoiceField(label=_("Language of the answer"))

    def __init__(self, *args: Any, targets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["target"]).queryset = targets
        cast(forms.ChoiceField, self.fields["language"]).choices = content_language_choices()
