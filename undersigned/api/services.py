"""Staff API tokens: making, revoking and checking them, and the audit of every use that changes
something.

A token reads ``und_<prefix>_<secret>``. The prefix finds its row and is shown in the owner's list;
the row keeps only a SHA-256 digest of the whole token, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.accounts.second_factor import has_second_factor, needs_second_factor
from undersigned.api.models import PREFIX_LENGTH, ApiToken, Scope
from undersigned.core import audit, ratelimit
from undersigned.core.exceptions import DomainError

T = TypeVar("T")

EXPIRY_DAYS = (30, 90, 365)
MAX_NAME_LENGTH = 100
# Enough for every script a person runs; a list longer than this is tokens forgotten, not needed.
MAX_ACTIVE_TOKENS = 20
# A busy script would otherwise write its token's row on every request.
LAST_USE_EVERY = timedelta(minutes=1)
FAILED_TOKEN_RULE = "api_token.network"  # noqa: S105  (a rate-limit rule's name)
TOKEN_START = "und_"  # noqa: S105  (what every token starts with, so scanners can spot a leaked one)
TOKEN_PATTERN = re.compile(rf"^{TOKEN_START}([0-9a-f]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{43}})$")
REALM = 'Bearer realm="undersigned"'


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token: shown to its owner once, kept nowhere


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_create(*, user: User, name: str, scopes: Collection[str], days: int) -> NewToken:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise DomainError("bad_name", _("Name the token (at most 100 characters), for example after the script."))
    chosen = set(scopes)
    if not chosen or not chosen <= set(Scope.values):
        raise DomainError("bad_scopes", _("Choose at least one of the scopes."))
    if days not in EXPIRY_DAYS:
        raise DomainError("bad_expiry", _("Choose when the token expires."))
    now = timezone.now()
    with transaction.atomic():
        # The owner's row, locked: two forms sent at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise DomainError(
                "too_many_tokens", _("You have 20 tokens that still work: revoke one you no longer use first.")
            )
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=token_digest(secret),
            password_stamp=user.get_session_auth_hash(),
            can_read=Scope.READ in chosen,
            can_moderate=Scope.MODERATE in chosen,
            can_deliver=Scope.DELIVER in chosen,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            actor=user,
            action="api_token.created",
            subject=token,
            detail={"prefix": prefix, "scopes": token.scopes, "days": days},
        )
    return NewToken(token=token, secret=secret)


def token_revoke(*, actor: User, token_id: int) -> bool:
    """Revokes one of ``actor``'s own tokens; False if it is not theirs or was already revoked."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoked", subject=token, detail={"prefix": token.prefix})
    return True


def owner_may_use_tokens(user: User) -> bool:
    """Whether the owner still stands behind tokens: active, and with the second factor their roles
    require (one reset by the secretariat, after a lost phone, ends their tokens)."""
    return user.is_active and (has_second_factor(user) or not needs_second_factor(user))


def made_under_current_password(token: ApiToken) -> bool:
    return constant_time_compare(token.password_stamp, token.user.get_session_auth_hash())


def token_still_works(token: ApiToken) -> bool:
    return owner_may_use_tokens(token.user) and made_under_current_password(token)


def _refused(code: str, message: str) -> DomainError:
    return DomainError(code, message, status=401, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})


def missing_token() -> DomainError:
    return DomainError(
        "unauthenticated",
        _("Send a staff API token: Authorization: Bearer <token>."),
        status=401,
        headers={"WWW-Authenticate": REALM},
    )


def token_authenticate(*, presented: str, network_hash: str) -> ApiToken:
    """The token whose secret is ``presented``, its last use noted; else a 401 DomainError, or a
    429 once its network has sent too many wrong tokens (the lock-out holds for right ones too,
    so that guessing cannot carry on between them)."""
    check = (FAILED_TOKEN_RULE, network_hash[:32] or "unknown")
    if ratelimit.exhausted(check):
        window = ratelimit.RULES[FAILED_TOKEN_RULE].window_seconds
        raise DomainError(
            "too_many_attempts",
            _("Too many wrong tokens from your network. Try again later."),
            status=429,
            headers={"Retry-After": str(window)},
        )
    match = TOKEN_PATTERN.match(presented.strip())
    token = ApiToken.objects.select_related("user").filter(prefix=match.group(1)).first() if match is not None else None
    if token is None or not constant_time_compare(token.digest, token_digest(presented.strip())):
        # Only a wrong secret counts towards the lock-out: a script running on with a token that
        # has expired is no attack, and must not lock its colleagues' scripts out.
        ratelimit.record_failure(check)
        raise _refused("invalid_token", _("This token is not valid."))
    now = timezone.now()
    if token.revoked_at is not None:
        raise _refused("token_revoked", _("This token was revoked."))
    if token.expires_at <= now:
        raise _refused("token_expired", _("This token has expired. Make a new one on your security page."))
    if not token_still_works(token):
        raise _refused(
            "token_ended",
            _("This token no longer works: its owner was deactivated, or changed their password or second factor."),
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_require_scope(token: ApiToken, scope: Scope) -> None:
    if not token.has_scope(scope):
        raise DomainError(
            "missing_scope",
            _("This token does not have the %(scope)s scope.") % {"scope": scope.value},
            status=403,
            detail={"scope": scope.value},
        )


def token_act(*, token: ApiToken, scope: Scope, action: str, detail: dict[str, Any], change: Callable[[], T]) -> T:
    """Runs ``change`` (a service call) for a write scope, and audits the use with the token and the
    action: in the same transaction when it is done, after its rollback when it is refused."""
    token_require_scope(token, scope)
    base = {"token": token.prefix, "scope": scope.value, "action": action, **detail}
    try:
        with transaction.atomic():
            result = change()
            audit.record(actor=token.user, action="api_token.used", subject=token, detail={**base, "outcome": "done"})
    except DomainError as error:
        audit.record(actor=token.user, action="api_token.used", subject=token, detail={**base, "outcome": error.code})
        raise
    return result
