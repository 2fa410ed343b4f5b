"""Pytest fixtures of a small site, shared by every domain's tests (imported by the root conftest)."""

from __future__ import annotations

import pytest

from undersigned.commissions.models import Commission
from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.core.testing import trustee_for
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update


@pytest.fixture
def site(db: None) -> None:
    """The federation, with a trustee for statements it issues as a whole."""
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    trustee_for(None)


@pytest.fixture
def libraries(site: None) -> Commission:
    commission = commission_create(
        actor=None,
        slug="public-libraries",
        texts={
            "en": CommissionTextInput(name="Commission on Public Libraries", mandate=""),
            "fr": CommissionTextInput(name="Commission des bibliothèques publiques", mandate=""),
        },
    )
    trustee_for(commission)
    return commission


@pytest.fixture
def mobility(site: None) -> Commission:
    commission = commission_create(
        actor=None,
        slug="urban-mobility",
        texts={"en": CommissionTextInput(name="Commission on Urban Mobility", mandate="")},
    )
    trustee_for(commission)
    return commission
