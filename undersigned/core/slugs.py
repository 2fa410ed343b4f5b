"""Short names in addresses (slugs), checked the same way for every kind of object."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _

from undersigned.core.exceptions import DomainError


def clean_slug(slug: str, *, max_length: int) -> str:
    """``slug`` lower-cased, or a ``DomainError`` that says what is wrong with it."""
    slug = slug.strip().lower()
    try:
        validate_slug(slug)
    except ValidationError:
        raise DomainError(
            "invalid_slug", _("The short name may hold only letters, digits, hyphens and underscores.")
        ) from None
    if len(slug) > max_length:
        raise DomainError(
            "invalid_slug",
            _("The short name may be at most %(max)s characters long.") % {"max": max_length},
        )
    return slug
