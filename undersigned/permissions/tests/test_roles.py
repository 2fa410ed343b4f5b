"""The roles table decides who may issue a statement, the same for the form and the service."""

from __future__ import annotations

import pytest

from undersigned.commissions.models import CommissionMembership
from undersigned.permissions.roles import can_issue_for
from undersigned.testing import UserFactory, secretariat

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "may"), [("editor", True), ("moderator", False), ("viewer", False), ("translator", False)]
)
def test_only_who_manages_a_commissions_statements_issues_new_ones_in_its_name(libraries, mobility, role, may):
    user = UserFactory.create(email=f"{role}@example.org")
    CommissionMembership.objects.create(commission=libraries, user=user, role=role)
    assert can_issue_for(user, libraries) is may
    assert not can_issue_for(user, mobility)
    assert not can_issue_for(user, None)  # the federation as a whole


def test_the_secretariat_issues_for_every_commission_and_the_federation(libraries):
    sam = secretariat()
    assert can_issue_for(sam, libraries) and can_issue_for(sam, None)
    sam.is_active = False
    assert not can_issue_for(sam, libraries)
