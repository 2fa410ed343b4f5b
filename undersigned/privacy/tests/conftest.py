"""Fixtures for the data-rights and retention tests: a statement that takes signatures (the
signature tests' ``open_statement``), signers and organisations' sign-ons built through their own
services, and the person's link as the mail would carry it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.management import call_command

from undersigned.accounts.models import User
from undersigned.ledger.services import seal_pending
from undersigned.organisations.models import OrganisationType, SignOn
from undersigned.organisations.services.sign_ons import SignOnInput, sign_on_confirm, sign_on_record, sign_ons_approve
from undersigned.organisations.types import ensure_builtin_types
from undersigned.privacy.services import DATA_LINK_FORM_TIMER
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.testing import secretariat


@pytest.fixture(autouse=True)
def _builtin_types(db) -> None:
    # Tests that run in transactions of their own empty the tables, the migration's rows with them.
    ensure_builtin_types()


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    return build_open_statement(libraries)


@pytest.fixture
def sam() -> User:
    return secretariat()


def link_path(email: str) -> str:
    """The path of the link the mail carries for ``email``."""
    return f"/your-data/{data_link_token(PersonRef.of_address(email))}/"


def started_token(seconds_ago: int = 10) -> str:
    return DATA_LINK_FORM_TIMER.started_token(drawn_at=time.time() - seconds_ago)


def request_data(email: str, **fields: Any) -> dict[str, Any]:
    """What a browser posts to the "your data" form."""
    return {"email": email, "started": started_token(), "website": "", **fields}


def signed_on(target: OpenStatement, *, contact_email: str, approve_by: User | None = None, name: str = "") -> SignOn:
    """An organisation's sign-on whose contact is ``contact_email``, confirmed, and approved when
    ``approve_by`` is given, through the organisations' services."""
    sign_on = sign_on_record(
        statement=target.statement,
        revision=target.revision,
        data=SignOnInput(
            name=name or "Neighbourhood Readers' Association",
            country="ES",
            type=OrganisationType.objects.get(code="association"),
            website="https://readers.example.org",
            contact_name="Rosa Contact",
            contact_role="Coordinator",
            contact_email=contact_email,
        ),
        network_hash="b" * 64,
        language="en",
    )
    sign_on_confirm(sign_on_id=sign_on.pk, statement_id=target.statement.pk)
    if approve_by is not None:
        sign_ons_approve(actor=approve_by, sign_on_ids=[sign_on.pk])
    sign_on.refresh_from_db()
    return sign_on


def assert_counts_are_honest() -> None:
    """``verify_tally`` and ``verify_audit`` both clean (after the sealing the worker would do)."""
    seal_pending()
    call_command("verify_tally")
    call_command("verify_audit")
