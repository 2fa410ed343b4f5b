from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from undersigned.core import process_caches
from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.languages import interface_language_codes
from undersigned.federation.models import Federation

logger = logging.getLogger(__name__)

IDENTITY_CACHE_KEY = "federation:identity:v3"
IDENTITY_CACHE_SECONDS = 300
# How long a process trusts the identity it last checked before asking the database for the
# row's version again: a change reaches every other process within this time.
IDENTITY_RECHECK_SECONDS = 1.0
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
    version: datetime | None = None  # the federation row's updated_at when this was read
    # The sites that may frame the embedded sign form; empty means any site.
    embed_origins: tuple[str, ...] = ()

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

# The identity of the request being served, so a page reads it once however often it is asked for.
_request_identity: ContextVar[SiteIdentity | None] = ContextVar("request_identity", default=None)


@contextlib.contextmanager
def identity_for_request() -> Iterator[SiteIdentity]:
    """Reads the identity once for one request; ``federation_identity`` answers from it meanwhile."""
    identity = _load_identity()
    token = _request_identity.set(identity)
    try:
        yield identity
    finally:
        _request_identity.reset(token)


def federation_identity() -> SiteIdentity:
    """The site's identity: the current request's copy, else a fresh read."""
    return _request_identity.get() or _load_identity()


# The identity this process last checked, and when (time.monotonic()).
_checked_identity: tuple[float, SiteIdentity] | None = None
_checked_identity_lock = threading.Lock()


def forget_checked_identity() -> None:
    """Makes this process check the row's version on its next read (after a change it made)."""
    global _checked_identity
    with _checked_identity_lock:
        _checked_identity = None


process_caches.register(
    __name__, "_checked_identity", clear=forget_checked_identity, stale_seconds=IDENTITY_RECHECK_SECONDS
)


def _load_identity() -> SiteIdentity:
    """The identity this process checked less than a second ago, else ``_load_checked_identity``.

    Under load a process serves hundreds of requests a second; one version query per second is
    enough to bring a change made elsewhere to every process within ``IDENTITY_RECHECK_SECONDS``.
    """
    global _checked_identity
    checked = _checked_identity
    now = time.monotonic()
    if checked is not None and now - checked[0] < IDENTITY_RECHECK_SECONDS:
        return checked[1]
    identity = _load_checked_identity()
    if identity.configured:
        with _checked_identity_lock:
            _checked_identity = (now, identity)
    return identity


def _load_checked_identity() -> SiteIdentity:
    """One small query for the row's version, and the cached identity when it is of that version.

    The version check keeps every process right after a change, whether the cache is shared
    (Redis) or each process's own memory. If the cache is down the identity is read from the
    database; if the database is down, the default identity lets error pages still render.
    """
    try:
        version = Federation.objects.filter(pk=Federation.SINGLETON_PK).values_list("updated_at", flat=True).first()
    except DatabaseError:
        logger.exception("database unavailable; serving the default identity")
        return UNCONFIGURED_IDENTITY
    if version is None:
        return UNCONFIGURED_IDENTITY
    try:
        cached: SiteIdentity | None = cache.get(IDENTITY_CACHE_KEY)
    except CACHE_ERRORS:
        logger.warning("cache unavailable; reading the federation's identity from the database")
        cached = None
    if cached is not None and cached.version == version:
        return cached
    identity = federation_identity_uncached()
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
        version=federation.updated_at,
        embed_origins=tuple(federation.embed_origins),
    )


def federation_for_editing() -> Federation | None:
    return Federation.objects.prefetch_related("texts").filter(pk=Federation.SINGLETON_PK).first()
