"""Forms of the member directory: the secretariat's entry, contact and type forms, and the search
and filters of the public and staff lists."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from undersigned.core.exceptions import DomainError
from undersigned.core.forms import CodeSelect, CompleteEmailField, no_control_characters
from undersigned.organisations.directory_selectors import MAX_SEARCH_LENGTH, country_sort_key
from undersigned.organisations.forms import HttpUrlField, OrganisationTypeField
from undersigned.organisations.logos import MAX_LOGO_BYTES
from undersigned.organisations.models import Logo, Organisation, OrganisationType
from undersigned.organisations.services.directory import OrganisationInput, clean_email_domains

MAX_EMAIL_DOMAINS_CHARACTERS = 4000


class CountryChoiceSelect(CodeSelect):
    """All countries, localised and sorted, built only when the form is drawn."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        by_name = sorted(
            ((country.code, str(country.name)) for country in countries), key=lambda pair: country_sort_key(pair[1])
        )
        self.choices = [("", _("Choose a country")), *by_name]
        return super().get_context(name, value, attrs)


def _country_in_list(code: str) -> None:
    if code not in countries:
        raise forms.ValidationError(_("Choose a country from the list."))


def _no_markup(value: str) -> None:
    # The service refuses it too; checking here puts the message next to the field it concerns.
    if "<" in value or ">" in value:
        raise forms.ValidationError(_("Names cannot contain < or >."))


class OrganisationForm(forms.Form):
    """A directory entry. The logo upload is turned into a ``Logo`` by the view, not here: a form's
    validation stores nothing."""

    name = forms.CharField(label=_("Name"), max_length=200, validators=[_no_markup, no_control_characters])
    short_name = forms.CharField(
        label=_("Short name or acronym (optional)"),
        max_length=40,
        required=False,
        validators=[_no_markup, no_control_characters],
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, validators=[_country_in_list], widget=CountryChoiceSelect
    )
    type = OrganisationTypeField(
        label=_("Type of organisation"), queryset=OrganisationType.objects.all(), empty_label=_("Choose a type")
    )
    website = HttpUrlField(
        label=_("Website (optional)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("An address starting with http:// or https://."),
        widget=forms.URLInput(attrs={"dir": "ltr"}),
    )
    logo = forms.FileField(
        label=_("Logo (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)
    description = forms.CharField(
        label=_("Public description (optional)"),
        max_length=2000,
        required=False,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_member = forms.BooleanField(label=_("Member of the federation"), required=False)
    member_since = forms.DateField(
        label=_("Member since (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    email_domains = forms.CharField(
        label=_("Verified email domains (optional)"),
        max_length=MAX_EMAIL_DOMAINS_CHARACTERS,
        required=False,
        help_text=_(
            "One per line, for example example.org. Anyone with an address at these domains can endorse "
            "statements for a member organisation."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
    )

    def __init__(self, *args: Any, organisation: Organisation | None, **kwargs: Any) -> None:
        if organisation is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": organisation.name,
                "short_name": organisation.short_name,
                "country": str(organisation.country),
                "type": organisation.type_id,
                "website": organisation.website,
                "description": organisation.description,
                "is_member": organisation.is_member,
                "member_since": organisation.member_since,
                "email_domains": "\n".join(organisation.email_domains or []),
            }
        super().__init__(*args, **kwargs)
        # Formatted here, in the request's language: a lazy string formatted at import is not translated.
        self.fields["logo"].help_text = gettext(
            "PNG, JPEG or WebP, at most %(megabytes)d MB. It is shown at a small fixed size."
        ) % {"megabytes": MAX_LOGO_BYTES // (1024 * 1024)}
        if organisation is None or organisation.logo_id is None:
            del self.fields["remove_logo"]

    def clean_email_domains(self) -> tuple[str, ...]:
        try:
            return clean_email_domains(self.cleaned_data["email_domains"].splitlines())
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def organisation_input(self, logo: Logo | None) -> OrganisationInput:
        data = self.cleaned_data
        return OrganisationInput(
            name=data["name"],
            short_name=data["short_name"],
            country=data["country"],
            type=data["type"],
            website=data["website"] or "",
            description=data["description"],
            is_member=data["is_member"],
            member_since=data["member_since"],
            email_domains=data["email_domains"],
            logo=logo,
            remove_logo=bool(data.get("remove_logo")),
        )


class ContactForm(forms.Form):
    """A contact person the secretariat vouches for. What is typed here is sealed to the trustees on
    arrival; the server keeps only a keyed hash of the address."""

    contact_name = forms.CharField(label=_("Name"), max_length=200, validators=[no_control_characters])
    contact_role = forms.CharField(
        label=_("Role in the organisation (optional)"),
        max_length=120,
        required=False,
        validators=[no_control_characters],
    )
    contact_email = CompleteEmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )


class OrganisationTypeForm(forms.Form):
    name = forms.CharField(label=_("Name of the new type"), max_length=80, validators=[no_control_characters])


# --- Search and filters -------------------------------------------------------------------------


def _search_text(raw: object) -> str:
    # Control characters match no name, and PostgreSQL refuses a NUL in a query outright.
    printable = "".join(
        " " if unicodedata.category(character) in {"Cc", "Cf", "Cs"} and character not in "\u200c\u200d" else character
        for character in str(raw or "")[: 4 * MAX_SEARCH_LENGTH]
    )
    return " ".join(printable.split())[:MAX_SEARCH_LENGTH]


def _known_country_code(raw: object) -> str:
    code = str(raw or "").strip().upper()
    return code if len(code) == 2 and code in countries else ""


class DirectorySearchForm(forms.Form):
    """The public directory's search and country filter. What the address holds is tidied before the
    form sees it (a long query cut short, an unknown country dropped), so it never refuses."""

    q = forms.CharField(
        label=_("Name"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": MAX_SEARCH_LENGTH}),
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, query: Mapping[str, Any], *, country_choices: Sequence[tuple[str, str]]) -> None:
        data = self.tidied(query)
        super().__init__(data)
        choices = list(country_choices)
        if data["country"] and data["country"] not in {code for code, _name in choices}:
            choices.append((data["country"], str(countries.name(data["country"]))))
        cast(forms.ChoiceField, self.fields["country"]).choices = [("", _("All countries")), *choices]

    def tidied(self, query: Mapping[str, Any]) -> dict[str, str]:
        return {"q": _search_text(query.get("q")), "country": _known_country_code(query.get("country"))}

    def filters(self) -> dict[str, str]:
        """The search and filters, all valid, empty where not given."""
        return {name: str(value) for name, value in self.data.items()}


class StaffDirectorySearchForm(DirectorySearchForm):
    member = forms.ChoiceField(
        label=_("Membership"),
        required=False,
        choices=[("", _("Members and others")), ("members", _("Members")), ("others", _("Not members"))],
    )

    def tidied(self, query: Mapping[str, Any]) -> dict[str, str]:
        member = str(query.get("member") or "")
        return super().tidied(query) | {"member": member if member in {"members", "others"} else ""}
