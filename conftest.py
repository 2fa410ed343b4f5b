"""Fixtures shared by every domain's tests."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The federation's identity is cached; a test that changes it must not leak into the next.
    cache.clear()


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this test process's own (``make test`` starts a throwaway server)."""
    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        pytest.fail("Redis tests need TEST_REDIS_URL; `make test` starts a throwaway redis-server")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"{base.rstrip('/')}/{1 + int(worker.removeprefix('gw'))}"
