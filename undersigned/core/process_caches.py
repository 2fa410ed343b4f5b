"""Every cache that a process keeps in its own memory, listed in one place with its staleness rule.

The rule, which each cache states when it registers here:

- A cache of data that can change (rows an editor, a command or another process may change) is at
  most ``MAX_STALE_SECONDS`` stale: an entry is trusted for its ``stale_seconds``, counted from the
  moment its read *began* (a change committed while the read ran may be missing from it), and a
  change made in this process forgets the entry at once. Other processes see a change within that
  time, with nothing to tell them.
- A cache keyed by values that never change is never stale: what it answers is what a fresh
  computation would answer. Such keys are a published revision (never updated), a revision's
  SHA-256 (which covers its body), a language code with the CLDR data and translations shipped with
  the code, the settings (fixed for the life of the process), a file's path with its modification
  time. The cache says which in ``never_stale``.
- Memory that holds no data (an open connection, when a check last ran) says what it holds and
  when it is renewed, in ``never_stale`` too.

Each cache registers next to its definition, with the module-level name that holds it and a
function that empties it. ``clear_all`` empties every one (the test suite does before each test, so
no test sees what another left behind), and ``core/tests/test_process_caches.py`` fails when a
module keeps a cache (an ``lru_cache``, a module-level dict it writes to, a ``global`` it
reassigns, a ``threading.local``) that is not registered.

Not listed here: Django's cache (shared by every process, see ``core.caching``) and per-request
state (context variables set and reset around one request).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

MAX_STALE_SECONDS = 5.0

CachedFunction = TypeVar("CachedFunction", bound="functools._lru_cache_wrapper[Any]")


@dataclass(frozen=True)
class ProcessCache:
    module: str
    attribute: str  # the module-level name that holds the cache (a cached function's name)
    clear: Callable[[], None]
    stale_seconds: float | None  # None: never stale
    never_stale: str  # why it is never stale, when it is not

    @property
    def name(self) -> str:
        return f"{self.module.removeprefix('undersigned.')}.{self.attribute}"

    @property
    def rule(self) -> str:
        if self.stale_seconds is not None:
            return f"at most {self.stale_seconds:g} s stale"
        return f"never stale: {self.never_stale}"


_caches: dict[str, ProcessCache] = {}


def register(
    module: str,
    attribute: str,
    *,
    clear: Callable[[], None],
    stale_seconds: float | None = None,
    never_stale: str = "",
) -> None:
    """Lists the cache held in ``module``'s ``attribute``; call it from that module (``__name__``),
    after the attribute is defined. Give ``stale_seconds`` or ``never_stale``, not both."""
    if not hasattr(sys.modules[module], attribute):
        raise ValueError(f"{module} has no {attribute}: register a cache after defining it")
    _add(ProcessCache(module, attribute, clear, stale_seconds, never_stale))


def register_function(*, never_stale: str) -> Callable[[CachedFunction], CachedFunction]:
    """Registers an ``lru_cache``-wrapped function (put it above ``@lru_cache``). A memoised
    function has no time limit, so it must be keyed by values that never change."""

    def decorate(function: CachedFunction) -> CachedFunction:
        _add(
            ProcessCache(
                function.__module__, function.__wrapped__.__qualname__, function.cache_clear, None, never_stale
            )
        )
        return function

    return decorate


def _add(cache: ProcessCache) -> None:
    if (cache.stale_seconds is None) == (not cache.never_stale):
        raise ValueError(f"{cache.name}: give stale_seconds or a reason it is never stale, not both")
    if cache.stale_seconds is not None and not 0 < cache.stale_seconds <= MAX_STALE_SECONDS:
        raise ValueError(f"{cache.name}: a cache of changing data is at most {MAX_STALE_SECONDS:g} s stale")
    if cache.name in _caches:
        raise ValueError(f"{cache.name} is registered twice")
    _caches[cache.name] = cache


def registered() -> list[ProcessCache]:
    """The caches of the modules imported so far (a module not imported yet has nothing cached)."""
    return sorted(_caches.values(), key=lambda cache: cache.name)


def clear_all() -> None:
    for cache in _caches.values():
        cache.clear()
