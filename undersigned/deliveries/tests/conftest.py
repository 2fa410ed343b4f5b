from __future__ import annotations

import pytest

from undersigned.deliveries.services import TargetInput, target_add
from undersigned.signatures.tests.conftest import open_statement  # noqa: F401  (a fixture for send_response)
from undersigned.statements.models import Statement
from undersigned.statements.tests.builders import published_statement


@pytest.fixture
def statement(libraries) -> Statement:
    """Published in English (the original), French and Arabic; no Spanish text."""
    return published_statement(libraries, translations=("fr", "ar"))


def add_target(statement: Statement, *, name: str, email: str, language: str, role: str = "Minister"):
    return target_add(
        actor=None,
        statement=statement,
        target=TargetInput(name=name, role=role, organisation="Government", email=email, language=language),
    )
