"""The statement page's copy in each process is at most READING_CACHE_SECONDS stale."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from undersigned.statements import selectors
from undersigned.statements.models import Statement
from undersigned.statements.selectors import READING_CACHE_SECONDS, statement_for_reading
from undersigned.statements.tests.builders import published_statement

pytestmark = pytest.mark.django_db


def test_a_change_committed_during_a_slow_read_shows_within_the_cache_time_of_the_read_starting(libraries, monkeypatch):
    statement = published_statement(libraries)
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(selectors, "time", SimpleNamespace(monotonic=lambda: clock.now))
    read = selectors._statement_for_reading

    def slow_read(slug: str) -> Statement:
        found = read(slug)
        # Another process closes the statement (so nothing here forgets it) while this read takes 3 s.
        Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.CLOSED)
        clock.now += 3
        return found

    monkeypatch.setattr(selectors, "_statement_for_reading", slow_read)
    assert statement_for_reading(slug=statement.slug).status == Statement.Status.PUBLISHED
    monkeypatch.setattr(selectors, "_statement_for_reading", read)

    clock.now = 1000.0 + READING_CACHE_SECONDS - 0.1
    assert statement_for_reading(slug=statement.slug).status == Statement.Status.PUBLISHED
    clock.now = 1000.0 + READING_CACHE_SECONDS
    assert statement_for_reading(slug=statement.slug).status == Statement.Status.CLOSED


def test_a_change_made_in_this_process_shows_at_once(libraries):
    from undersigned.statements.services import statement_close

    statement = published_statement(libraries)
    assert statement_for_reading(slug=statement.slug).status == Statement.Status.PUBLISHED
    statement_close(actor=None, statement=statement)
    assert statement_for_reading(slug=statement.slug).status == Statement.Status.CLOSED
