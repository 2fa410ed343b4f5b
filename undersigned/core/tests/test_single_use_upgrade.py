"""A member's sign-in link used just before the upgrade that gave single-use marks their own table
is still refused as used after it."""

from __future__ import annotations

import hashlib
import importlib
import time

import pytest
from django.apps import apps

from undersigned.core.links import LinkUsedError, spend_link
from undersigned.core.models import RateLimitCounter
from undersigned.organisations.tokens import SIGN_IN_LINK, sign_in_token

pytestmark = pytest.mark.django_db

migration = importlib.import_module("undersigned.core.migrations.0004_single_use_marks_from_counters")


def test_a_link_marked_used_the_old_way_stays_used():
    token = sign_in_token("ana@reading-room.example")
    # As the code before the upgrade marked it: a counter of one, without Redis.
    RateLimitCounter.objects.create(
        key="once:member-link:" + hashlib.sha256(token.encode()).hexdigest(), hits=1, expires_at=int(time.time()) + 3600
    )
    fresh = sign_in_token("bo@reading-room.example")

    migration.move_marks(apps, None)

    with pytest.raises(LinkUsedError):
        spend_link(SIGN_IN_LINK, token)
    assert spend_link(SIGN_IN_LINK, fresh) == "bo@reading-room.example"
    assert not RateLimitCounter.objects.filter(key__startswith="once:").exists()
