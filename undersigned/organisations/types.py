"""The built-in kinds of organisation, whose names are translated; the secretariat adds others,
shown as written."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from undersigned.organisations.models import OrganisationType

# The same codes and names as the migration that creates them.
BUILTIN_NAMES = {
    "union": gettext_noop("Union"),
    "association": gettext_noop("Association"),
    "community-group": gettext_noop("Community group"),
    "faith-group": gettext_noop("Faith group"),
    "ngo": gettext_noop("NGO"),
    "network": gettext_noop("Network"),
    "other": gettext_noop("Other"),
}


def ensure_builtin_types() -> None:
    """Creates the built-in kinds that are missing (a migration does it on a new site; tests that
    empty the database call this)."""
    for position, (code, name) in enumerate(BUILTIN_NAMES.items()):
        OrganisationType.objects.get_or_create(code=code, defaults={"name": name, "position": position * 10})


def type_label(organisation_type: OrganisationType) -> str:
    """The type's name in the interface language (built-in kinds) or as the secretariat wrote it."""
    if organisation_type.code in BUILTIN_NAMES and organisation_type.name == BUILTIN_NAMES[organisation_type.code]:
        return gettext(organisation_type.name)
    return organisation_type.name


def type_choices() -> list[tuple[int, str]]:
    return [(kind.pk, type_label(kind)) for kind in OrganisationType.objects.all()]
