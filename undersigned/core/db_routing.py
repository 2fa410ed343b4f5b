"""Which database a query goes to: the primary, or a streaming replica for chosen public reads.

Everything goes to the primary unless a read was chosen for a replica. The choice is opt-in and
narrow, because a replica is a few hundred milliseconds (or, when it falls behind, seconds) in the
past, and most reads must not be: the sign flow, the confirmation and withdrawal links, rate
limits, staff pages, anything inside a transaction. A read goes to a replica only when all hold:

- it runs inside ``replica_reads()``: the middleware below opens it for the views in
  ``REPLICA_READ_VIEWS`` (public lists, exports, feeds, the API's lists) on GET and HEAD; code may
  open it around other reads that tolerate the past;
- the visitor carries no ``undersigned_primary`` cookie: the one they get for a few seconds after
  a request of theirs changed something, so that they see their own signature (read-your-writes).
  The proxy's cache lets the same cookie through to Django, for the same reason;
- no transaction is open on the primary, and the request has written nothing yet;
- a replica is configured (``DATABASE_REPLICA_URLS``) and no further behind than
  ``DATABASE_REPLICA_MAX_LAG`` seconds, as it says of itself (checked at most once a second).

With no replica configured the router sends everything to the primary, as before.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from undersigned.core import process_caches

logger = logging.getLogger(__name__)

PRIMARY = "default"
PIN_COOKIE = "undersigned_primary"
# How long a replica's answer about its own lag is trusted: one cheap query a second per process.
HEALTH_SECONDS = 1.0
# A replica that failed to answer is left alone longer, so few requests wait on its pool's timeout.
UNREACHABLE_SECONDS = 5.0

# Public reads that no cache absorbs, and that may be a replica's lag in the past. Named by URL
# name so the views need not know (and the views' modules stay as they are).
REPLICA_READ_VIEWS = frozenset(
    {
        "signatures:list",
        "exports:pdf",
        "exports:csv",
        "exports:json",
        "ledger:export",
        "statements:feed",
        "api:statement_list",
        "api:statement_signatories",
        "api:statement_sign_ons",
        "api:statement_milestones",
        "api:statement_deliveries",
    }
)
# Pages that promise to set no cookie (the embed in another site's frame, which sends none back).
NO_PIN_VIEWS = frozenset({"statements:embed", "statements:embed_in"})

# The replica's own view of its lag. Caught up (all it received is replayed): 0. Otherwise the age
# of the last transaction it replayed. NULL when it is no replica (not in recovery) or has replayed
# nothing yet: then it is not used.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""


@dataclass
class _Reads:
    """What the current request (or block of code) allows, and what it has done."""

    replica_allowed: bool = False
    pinned: bool = False  # the visitor has just acted (the undersigned_primary cookie)
    wrote: bool = False
    alias: str | None = None  # the replica chosen for this request, kept so its reads agree


_reads: ContextVar[_Reads | None] = ContextVar("undersigned_reads", default=None)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Lets the reads inside go to a replica, unless they must be fresh (see the module's rules)."""
    state = _reads.get()
    if state is None:  # outside a request (a command, a task): a state for this block alone
        token = _reads.set(_Reads(replica_allowed=True))
        try:
            yield
        finally:
            _reads.reset(token)
        return
    allowed = state.replica_allowed
    state.replica_allowed = True
    try:
        yield
    finally:
        state.replica_allowed = allowed


# --- Replica health ------------------------------------------------------------------------------

_health: dict[str, tuple[float, float | None]] = {}  # alias -> (trusted until, lag in seconds or None)
_health_lock = threading.Lock()
# A replica found unreachable is passed over for UNREACHABLE_SECONDS, the longest a reading is kept.
process_caches.register(__name__, "_health", clear=_health.clear, stale_seconds=UNREACHABLE_SECONDS)


def replica_lag(alias: str) -> float | None:
    """Seconds the replica is behind, by its own account (cached a second); None if unusable."""
    now = time.monotonic()
    checked = _health.get(alias)
    if checked is not None and now < checked[0]:
        return checked[1]
    lag: float | None
    trusted_for = HEALTH_SECONDS
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
        lag = None if row is None or row[0] is None else float(row[0])
    except DatabaseError as error:
        # A replica that is down costs one failed connection a second, not a failed page.
        logger.warning("replica %s is unreachable: %s", alias, type(error).__name__)
        lag = None
        trusted_for = UNREACHABLE_SECONDS
    with _health_lock:
        _health[alias] = (now + trusted_for, lag)
    return lag


def forget_replica_health() -> None:
    """Drops the cached lags (tests, and after reconfiguring replicas)."""
    with _health_lock:
        _health.clear()


def usable_replica() -> str | None:
    """A replica within the allowed lag, chosen at random among those that are; else None."""
    usable = []
    for alias in getattr(settings, "DATABASE_REPLICAS", []):
        lag = replica_lag(alias)
        if lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG:
            usable.append(alias)
    return random.choice(usable) if usable else None  # noqa: S311  (load spreading, not secrecy)


# --- The router ----------------------------------------------------------------------------------


class ReplicaRouter:
    """Writes, and every read not explicitly allowed a replica, go to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        state = _reads.get()
        if state is None or not state.replica_allowed or state.pinned or state.wrote:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            # Related rows of an object come from where the object came from.
            return str(instance._state.db)
        if connections[PRIMARY].in_atomic_block:
            return None  # a transaction reads what it is about to write: the primary's
        if state.alias is None:
            state.alias = usable_replica()
            if state.alias is None:
                state.replica_allowed = False  # none is usable: this request reads the primary
                return None
        return state.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        state = _reads.get()
        if state is not None:
            state.wrote = True  # from now on this request reads its own writes
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # replicas hold the primary's rows: objects from either may be related

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # a replica receives the schema by replication, and is read-only


# --- The middleware ------------------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _forgetting_after(content: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from content
    finally:
        _reads.set(None)


class ReadReplicaMiddleware:
    """Opens ``replica_reads()`` for the chosen public views, and pins a visitor who acted.

    A request with an unsafe method that changed something (it wrote, or it was not refused) gets
    the ``undersigned_primary`` cookie for ``READ_YOUR_WRITES_SECONDS``. It holds nothing about the
    visitor (the value is "1"), is HttpOnly, SameSite=Lax, and Secure over TLS. While it is set,
    the visitor's reads go to the primary and past the proxy's cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state = _Reads()
        token = _reads.set(state)
        try:
            response = self.get_response(request)
        except BaseException:
            _reads.reset(token)
            raise
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        acted = request.method not in SAFE_METHODS and (state.wrote or response.status_code < 400)
        if acted and view_name not in NO_PIN_VIEWS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.READ_YOUR_WRITES_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            # A streamed export reads as it is sent, after this returns: the state lasts until then.
            response.streaming_content = _forgetting_after(cast(Iterable[bytes], response.streaming_content))
            # And ends when the server closes the response, even one it never iterated (a client
            # gone before the first chunk, a HEAD): the next request's outer middleware must not
            # read with it.
            response._resource_closers.append(lambda: _reads.set(None))  # type: ignore[attr-defined]
        else:
            _reads.reset(token)
        return response

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        state = _reads.get()
        if state is None or request.method not in {"GET", "HEAD"}:
            return
        state.pinned = PIN_COOKIE in request.COOKIES
        match = request.resolver_match
        if match is not None and match.view_name in REPLICA_READ_VIEWS and settings.DATABASE_REPLICAS:
            state.replica_allowed = True
