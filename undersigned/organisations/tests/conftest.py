"""Fixtures for the sign-on tests: an open statement of ``libraries`` (from the signature tests'
helpers) and a member organisation of the directory with a verified email domain."""

from __future__ import annotations

import time
from typing import Any

import pytest

from undersigned.organisations.models import Organisation, OrganisationType
from undersigned.organisations.services.directory import OrganisationInput, organisation_save
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement


@pytest.fixture(autouse=True)
def _builtin_types(db) -> None:
    # Tests that run in transactions of their own empty the tables, the migration's rows with them.
    ensure_builtin_types()


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def kind(code: str = "association") -> OrganisationType:
    return OrganisationType.objects.get(code=code)


def member_organisation(
    name: str = "Friends of the Reading Room", domain: str = "reading-room.example"
) -> Organisation:
    return organisation_save(
        actor=None,
        organisation=None,
        data=OrganisationInput(
            name=name,
            short_name="FRR",
            country="FR",
            type=kind(),
            website=f"https://www.{domain}/",
            is_member=True,
            email_domains=(domain,),
        ),
    )


def started_token(seconds_ago: int = 10) -> str:
    return SIGN_ON_FORM_TIMER.started_token(drawn_at=time.time() - seconds_ago)


def sign_on_data(target: OpenStatement, **fields: Any) -> dict[str, Any]:
    """What a browser without JavaScript posts to the sign-on form."""
    return {
        "name": "Neighbourhood Readers' Association",
        "country": "ES",
        "type": kind().pk,
        "website": "https://readers.example.org",
        "contact_name": "Rosa Contact",
        "contact_role": "Coordinator",
        "contact_email": "rosa@readers.example.org",
        "consent": "on",
        "revision": target.revision.pk,
        "started": started_token(),
        "fax": "",
        **fields,
    }
