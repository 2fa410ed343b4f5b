"""Fixtures for the actions' tests: an open statement of ``libraries`` and a member organisation
whose contacts sign in with any address at ``reading-room.example``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from undersigned.organisations.models import Organisation
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tokens import sign_in_token
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement

MEMBER_CONTACT = "ana@reading-room.example"


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    return build_open_statement(libraries)


@pytest.fixture
def member(db) -> Organisation:
    # Tests that run in transactions of their own empty the tables, the built-in types with them.
    ensure_builtin_types()
    return member_organisation()


def member_client(email: str = MEMBER_CONTACT) -> Client:
    """A browser signed in as a member contact, through the emailed link as a person would."""
    client = Client()
    answer = client.post(f"/organisations/members/sign-in/{sign_in_token(email)}/")
    assert answer.status_code == 302, answer.status_code
    return client


def report_data(reporting_for: Organisation, **fields: Any) -> dict[str, Any]:
    """What a browser posts to the report form."""
    return {
        "organisation": reporting_for.pk,
        "kind": "rally",
        "date": timezone.localdate().isoformat(),
        "city": "Lyon",
        "country": "FR",
        "description": "A rally in front of the town hall, with readings of the statement.",
        "description_language": "en",
        "link": "https://www.reading-room.example/rally",
        "participants": "250",
        **fields,
    }


def days_from_today(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)
