"""The one rate limiter: fixed windows, counted where every app server sees the same number.

Every limit the site applies is a named rule in ``RULES``: what one hit is, how many hits a window
allows, how long the window is, and what happens when nothing can count. Callers name a rule and
a subject (a keyed hash or an id: never an address), never numbers of their own; the subject is
digested again into the key, so no key is longer than the counters' column.

Counting goes to Redis when ``REDIS_URL`` is set (atomic INCR), else to the database, which every
process sharing it sees; when Redis fails the database counts instead. Only when the database
fails too does a rule's ``when_uncountable`` decide: ``OPEN`` lets the request through (refusing
signers because a counter is down would do the attackers' work), ``CLOSED`` refuses it (a staff
sign-in lock-out that lifted itself whenever a counter failed would be no lock-out).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import time
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.models import RateLimitCounter

logger = logging.getLogger(__name__)


StrOrPromise = str | Promise


class WhenUncountable(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


OPEN, CLOSED = WhenUncountable.OPEN, WhenUncountable.CLOSED


@dataclass(frozen=True)
class Rule:
    limit: int
    window_seconds: int
    when_uncountable: WhenUncountable
    counts: StrOrPromise  # what one hit is, for the people who read and tune this table (and the API guide)


MINUTE, HOUR, DAY = 60, 3600, 86400

# Generous for the public forms: whole offices, campuses and mobile carriers share one network.
RULES: dict[str, Rule] = {
    "sign.network.statement": Rule(120, 10 * MINUTE, OPEN, _("sign requests from one network to one statement")),
    "sign.network": Rule(600, 10 * MINUTE, OPEN, _("sign requests from one network to any statement")),
    "sign.address.statement": Rule(5, HOUR, OPEN, _("sign requests with one address to one statement")),
    # Observed, never refusing: at its limit the statement's proof of work is switched on (signatures.surge).
    "sign.statement": Rule(
        settings.PROOF_OF_WORK_SURGE, 10 * MINUTE, OPEN, _("sign requests to one statement from anywhere (a surge)")
    ),
    "sign.form_token": Rule(3, HOUR, OPEN, _("signatures accepted with one drawn sign form from one network")),
    "sign_on.network.statement": Rule(30, 10 * MINUTE, OPEN, _("sign-on requests from one network to one statement")),
    "sign_on.network": Rule(120, 10 * MINUTE, OPEN, _("sign-on requests from one network to any statement")),
    "action_report.network.statement": Rule(
        10, HOUR, OPEN, _("reports of actions from one network to one statement, by organisations not members")
    ),
    "action_report.network": Rule(
        30, HOUR, OPEN, _("reports of actions from one network to any statement, by organisations not members")
    ),
    "member_sign_in.network": Rule(10, 10 * MINUTE, OPEN, _("member sign-in links asked for from one network")),
    "member_sign_in.address": Rule(3, HOUR, OPEN, _("member sign-in links asked for one address")),
    "data_link.network": Rule(20, HOUR, OPEN, _("your-data links asked for from one network")),
    "data_link.address": Rule(3, HOUR, OPEN, _("your-data links asked for one address")),
    "data_link.address.daily": Rule(6, DAY, OPEN, _("your-data links asked for one address in a day")),
    "password_reset.network": Rule(10, HOUR, OPEN, _("password-reset mails asked for from one network")),
    "password_reset.account": Rule(3, HOUR, OPEN, _("password-reset mails asked for one staff address")),
    "enrolment_link.account": Rule(3, HOUR, OPEN, _("second-factor set-up links mailed to one staff account")),
    # Across every public form that mails an address typed in (sign, sign on, your data, member
    # sign-in): nobody's mailbox is flooded through the site, whoever asks.
    "mail.recipient.daily": Rule(10, DAY, OPEN, _("mails the public forms send to one address in a day")),
    "staff_sign_in.account": Rule(10, 15 * MINUTE, CLOSED, _("failed staff passwords or codes for one account")),
    # The slower back-off: a guesser who waits out each 15 minutes is stopped for a day after 30.
    "staff_sign_in.account.daily": Rule(30, DAY, CLOSED, _("failed staff passwords or codes for one account in a day")),
    # Networks count accounts, not tries: one person mistyping their own password cannot lock out
    # the colleagues on their network; one network trying many accounts (stuffing) is stopped.
    "staff_sign_in.network": Rule(20, HOUR, CLOSED, _("accounts with a failed staff sign-in from one network")),
    "staff_sign_in.network.account": Rule(1, HOUR, OPEN, _("one account's failed sign-ins from one network")),
    "api_token.network": Rule(20, 15 * MINUTE, CLOSED, _("wrong, expired or revoked API tokens from one network")),
}

# A check names a rule and whom it counts: ("sign.network", network_hash[:32]).
Check = tuple[str, str]


def allow(*checks: Check) -> bool:
    """Counts one hit on each check; False if any of them is now over its rule's limit.

    Every check is counted even when an earlier one is already over, and in the database all of
    them in one statement: a signature checks three limits and should not pay three round trips.
    """
    return not count_hits(checks).refused_by


@dataclass(frozen=True)
class Hits:
    refused_by: tuple[str, ...]  # the rules now over their limit, in the order of the checks
    observed: int | None  # the observed check's hits in its window; None if none or uncounted


def count_hits(checks: tuple[Check, ...], observed: Check | None = None) -> Hits:
    """``allow``, telling which rules refuse; and, in the same round trip, one more count that
    refuses nothing (``observed``), to watch a rate rather than limit it."""
    buckets = _buckets((*checks, observed) if observed else checks)
    keys = list(buckets)
    observed_key = keys[-1] if observed else None
    hits = _count(buckets, add=1)
    refused = tuple(
        name for (name, _subject), key in zip(checks, keys, strict=False) if not _within(hits, key, buckets[key])
    )
    return Hits(refused, None if hits is None or observed_key is None else hits.get(observed_key))


def reached(*checks: Check) -> bool:
    """True if any check is at its rule's limit in this window, so that counting one more would
    refuse; counts nothing. For a form that must answer as if it had counted, without counting."""
    buckets = _buckets(checks)
    hits = _count(buckets, add=0)
    if hits is None:
        return any(rule.when_uncountable == CLOSED for rule in buckets.values())
    return any(hits.get(key, 0) >= rule.limit for key, rule in buckets.items())


def exhausted(*checks: Check) -> bool:
    """True if any check has reached its rule's limit in this window and the one before together;
    counts nothing. With ``record_failure`` this is a lock-out: failures on either side of a
    window's end count together (no burst of twice the limit across it), and the lock-out lifts
    once they have aged out of both windows, between one and two windows after the last."""
    current, earlier = _buckets(checks), _buckets(checks, windows_ago=1)
    hits = _count({**current, **earlier}, add=0)
    if hits is None:
        return any(rule.when_uncountable == CLOSED for rule in current.values())
    return any(
        hits.get(key, 0) + hits.get(earlier_key, 0) >= rule.limit
        for (key, rule), earlier_key in zip(current.items(), earlier, strict=True)
    )


def record_failure(*checks: Check) -> None:
    """Counts one failure on each check (a wrong password, a wrong code)."""
    _count(_buckets(checks), add=1)


def seconds_left_in_window(name: str) -> int:
    """Until the current window of rule ``name`` ends: when a refusal by it lifts at the earliest."""
    window = RULES[name].window_seconds
    return max(1, window - int(time.time()) % window)


def _buckets(checks: tuple[Check, ...], *, windows_ago: int = 0) -> dict[str, Rule]:
    if len(set(checks)) != len(checks):
        raise ValueError("each rate-limit check needs a subject of its own")
    now = time.time()
    buckets: dict[str, Rule] = {}
    for name, subject in checks:
        rule = RULES[name]
        # Digested, so that any subject (however long, whatever its characters) makes a key of one
        # short length, which the counters' column and every cache take.
        digest = hashlib.blake2b(subject.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        window = int(now // rule.window_seconds) - windows_ago
        buckets[f"ratelimit:{name}:{digest}:{rule.window_seconds}:{window}"] = rule
    return buckets


def _within(hits: dict[str, int] | None, key: str, rule: Rule) -> bool:
    if hits is None:  # nothing could count it
        return rule.when_uncountable == OPEN
    return hits.get(key, 0) <= rule.limit


def _count(buckets: dict[str, Rule], *, add: int) -> dict[str, int] | None:
    """The hits of each bucket after adding ``add`` (0: only read, a bucket without hits may be
    missing); None when neither the cache nor the database could count."""
    if settings.REDIS_URL:
        try:
            return {key: _count_in_cache(key, rule.window_seconds, add) for key, rule in buckets.items()}
        except CACHE_ERRORS:
            logger.warning("cache unavailable; counting rate limits in the database")
    try:
        # Inside a caller's transaction, a savepoint: a failure here must not leave the caller's
        # transaction aborted (PostgreSQL refuses every statement after an error until rollback).
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            if not add:
                return dict(RateLimitCounter.objects.filter(key__in=list(buckets)).values_list("key", "hits"))
            hits = _add_in_database({key: rule.window_seconds for key, rule in buckets.items()})
    except DatabaseError:
        logger.exception("rate limits could not be counted in the database")
        return None
    if 1 in hits.values() and random.random() < 0.01:  # noqa: S311  (sweeping now and then, not a secret)
        _sweep_expired()
    return hits


def _sweep_expired() -> None:
    try:
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            RateLimitCounter.objects.filter(expires_at__lt=int(time.time())).delete()
    except DatabaseError:
        logger.exception("expired rate-limit counters could not be swept")


def _count_in_cache(key: str, window_seconds: int, add: int) -> int:
    if not add:
        return int(cache.get(key) or 0)
    if cache.add(key, 1, window_seconds + 5):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds + 5)
        return 1


def _add_in_database(windows: dict[str, int]) -> dict[str, int]:
    """One statement, atomic on both databases: insert each window's row or add one to it."""
    now = int(time.time())
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    rows = ", ".join(["(%s, 1, %s)"] * len(windows))
    parameters: list[str | int] = []
    for key, window_seconds in windows.items():
        parameters += [key, now + window_seconds + 5]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, hits, expires_at) VALUES {rows} "  # noqa: S608  (quoted table name, placeholders)
            "ON CONFLICT (key) DO UPDATE SET hits = " + f"{table}.hits + 1 RETURNING key, hits",
            parameters,
        )
        return {str(key): int(count) for key, count in cursor.fetchall()}
