from __future__ import annotations

import logging
import re
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


_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>[0-9]{1,5}))?/?"
)
MAX_EMBED_ORIGINS = 200


def embed_origin_normalised(value: str) -> str:
    """``value`` as a CSP ``frame-ancestors`` source: scheme://host[:port], lower case, no path.

    Strict on purpose: the value goes into a response header, so anything but a plain origin (a
    path, a space, a quote, a semicolon, a wildcard) is refused rather than passed on.
    """
    candidate = value.strip().lower()
    match = _ORIGIN.fullmatch(candidate)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        raise DomainError(
            "invalid_origin",
            _("“%(value)s” is not a site address of the form https://example.org or https://example.org:8443.")
            % {"value": value.strip()[:200]},
        )
    return f"{match['scheme']}://{match['host']}" + (f":{match['port']}" if match["port"] else "")


def embed_origins_parse(values: Sequence[str]) -> list[str]:
    """The origins allowed to frame the embed, normalised, without blanks and repeats."""
    origins: list[str] = []
    for value in values:
        if value.strip():
            origin = embed_origin_normalised(value)
            if origin not in origins:
                origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise DomainError("too_many_origins", _("List at most %(count)d sites.") % {"count": MAX_EMBED_ORIGINS})
    return origins


def federation_update(
    *,
    actor: User | None,
    default_language: str,
    offered_languages: Sequence[str],
    contact_email: str,
    texts: Mapping[str, LocalisedText],
    members_skip_review: bool | None = None,
    embed_origins: Sequence[str] | None = None,
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
    origins = embed_origins_parse(embed_origins) if embed_origins is not None else None

    with transaction.atomic():
        federation, _created = Federation.objects.select_for_update().get_or_create(pk=Federation.SINGLETON_PK)
        federation.default_language = default_language
        federation.offered_languages = offered
        federation.contact_email = contact_email
        if members_skip_review is not None:
            federation.members_skip_review = members_skip_review
        if origins is not None:
            federation.embed_origins = origins
        federation.save(
            update_fields=[
                "default_language",
                "offered_languages",
                "contact_email",
                "members_skip_review",
                "embed_origins",
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
