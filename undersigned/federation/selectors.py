from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from redis.exceptions import RedisError

from undersigned.core.languages import interface_language_codes
from undersigned.federation.models import Federation

logger = logging.getLogger(__name__)
# What a cache backend raises when its server is gone: redis-py's own errors and socket errors.
CACHE_ERRORS = (RedisError, OSError)

IDENTITY_CACHE_KEY = "federation:identity:v1"
IDENTITY_CACHE_SECONDS = 300
FALLBACK_NAME = "Undersigned"


@dataclass(frozen=True)
class LocalisedText:
    name: str
    description: str


@dataclass(frozen=True)
class SiteIdentity:
    """What every page needs to know about the federation, read once and cached."""

    default_language: str
    offered_languages: tuple[str, ...]
    contact_email: str
    texts: dict[str, LocalisedText] = field(default_factory=dict)
    configured: bool = True

    def text_in(self, language: str) -> LocalisedText:
        """The text in ``language``, else in the default language, else any, else a neutral name."""
        for candidate in (language, self.default_language, *self.texts):
            if candidate in self.texts:
                return self.texts[candidate]
        return LocalisedText(name=FALLBACK_NAME, description="")

    def offers(self, language: str) -> bool:
        return language in self.offered_languages


UNCONFIGURED_IDENTITY = SiteIdentity(
    default_language=settings.LANGUAGE_CODE,
    offered_languages=tuple(code for code, _name in settings.LANGUAGES),
    contact_email="",
    configured=False,
)


def federation_identity() -> SiteIdentity:
    """The site's identity, from the cache when fresh; every page calls this, so it is cheap.

    A cache that is down costs a query per page, never the page: the site keeps serving while
    Redis restarts, and /healthz reports the outage.
    """
    try:
        identity: SiteIdentity | None = cache.get(IDENTITY_CACHE_KEY)
    except CACHE_ERRORS:
        logger.warning("cache unavailable; reading the federation's identity from the database")
        return federation_identity_uncached()
    if identity is None:
        try:
            identity = federation_identity_uncached()
        except DatabaseError:
            # The page (or /healthz, or the error page) still renders in the reader's language.
            logger.exception("database unavailable; serving the default identity")
            return UNCONFIGURED_IDENTITY
        with contextlib.suppress(*CACHE_ERRORS):
            cache.set(IDENTITY_CACHE_KEY, identity, IDENTITY_CACHE_SECONDS)
    return identity


def federation_identity_uncached() -> SiteIdentity:
    federation = Federation.objects.prefetch_related("texts").filter(pk=Federation.SINGLETON_PK).first()
    if federation is None:
        return UNCONFIGURED_IDENTITY
    interface = interface_language_codes()
    # Languages are validated on save; this only guards against a catalogue removed since then.
    offered = tuple(code for code in federation.offered_languages if code in interface) or ("en",)
    default = federation.default_language if federation.default_language in offered else offered[0]
    return SiteIdentity(
        default_language=default,
        offered_languages=offered,
        contact_email=federation.contact_email,
        texts={
            text.language: LocalisedText(name=text.name, description=text.description)
            for text in federation.texts.all()
        },
    )


def federation_for_editing() -> Federation | None:
    return Federation.objects.prefetch_related("texts").filter(pk=Federation.SINGLETON_PK).first()
