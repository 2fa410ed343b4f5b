"""Reading staff API tokens, for their owner's security page."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.api.models import ApiToken
from undersigned.api.services import made_under_current_password, owner_may_use_tokens

SHOWN_TOKENS = 50


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    state: str  # "active", "expired", "revoked" or "ended" (owner's password or second factor changed)


def tokens_of(user: User) -> list[TokenRow]:
    """The owner's newest tokens, each with whether it still works."""
    now = timezone.now()
    owner_ok = owner_may_use_tokens(user)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")[:SHOWN_TOKENS]
    rows = []
    for token in tokens:
        token.user = user
        if token.revoked_at is not None:
            state = "revoked"
        elif token.expires_at <= now:
            state = "expired"
        elif not owner_ok or not made_under_current_password(token):
            state = "ended"
        else:
            state = "active"
        rows.append(TokenRow(token=token, state=state))
    return rows
