from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import interface_language_codes, native_language_name
from undersigned.federation.models import Federation, FederationText
from undersigned.federation.selectors import (
    IDENTITY_CACHE_KEY,
    LocalisedText,
    forget_checked_identity,
)

logger = logging.getLogger(__name__)


def _forget_cached_identity() -> None:
    # Readers compare the cached copy's version with the row anyway; deleting it only saves them
    # that one mismatch.
    forget_checked_identity()
    transaction.on_commit(forget_checked_identity)  # a read before the commit saw the old row
    try:
        cache.delete(IDENTITY_CACHE_KEY)
    except CACHE_ERRORS:
        logger.warning("cache unavailable; the federation's cached identity is replaced on next read")


def federation_update(
    *,
    actor: User | None,
    default_language: str,
    offered_languages: Sequence[str],
    contact_email: str,
    texts: Mapping[str, LocalisedText],
    members_skip_review: bool | None = None,
) -> Federation:
    """Create or update the site's identity. ``actor`` None means the operator's command line.

    Texts for languages no longer offered are kept, so offering a language again restores them.
    Clearing a text's name and description removes it; the default language must keep a name.
    """
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat can edit the federation."), status=403)
    interface = interface_language_codes()
    offered = [code for code in interface if code in set(offered_languages)]
    unknown = sorted(set(offered_languages) - set(interface))
    if unknown:
        raise DomainError(
            "unknown_language",
            _("These languages have no interface translation: %(codes)s.") % {"codes": ", ".join(unknown)},
        )
    if not offered:
        raise DomainError("no_language", _("Offer at least one language."))
    if default_language not in offered:
        raise DomainError("default_not_offered", _("The default language must be one of the offered languages."))
    default_text = texts.get(default_language)
    if default_text is None or not default_text.name.strip():
        raise DomainError("name_required", _("Give the federation a name in its default language."))
    contact_email = contact_email.strip().lower()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise DomainError("invalid_email", _("Enter a valid contact address.")) from None

    with transaction.atomic():
        federation, _created = Federation.objects.select_for_update().get_or_create(pk=Federation.SINGLETON_PK)
        federation.default_language = default_language
        federation.offered_languages = offered
        federation.contact_email = contact_email
        if members_skip_review is not None:
            federation.members_skip_review = members_skip_review
        federation.save(
            update_fields=[
                "default_language",
                "offered_languages",
                "contact_email",
                "members_skip_review",
                "updated_at",
            ]
        )
        for language, text in texts.items():
            if language not in interface:
                continue
            name, description = text.name.strip(), text.description.strip()
            if not name and description:
                raise DomainError(
                    "name_required",
                    _("Give the federation a name in %(language)s, or clear its description too.")
                    % {"language": native_language_name(language)},
                )
            if not name:
                FederationText.objects.filter(federation=federation, language=language).delete()
                continue
            FederationText.objects.update_or_create(
                federation=federation,
                language=language,
                defaults={"name": name, "description": description},
            )
        transaction.on_commit(_forget_cached_identity)
    return federation
