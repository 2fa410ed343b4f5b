"""The protected reads: "not found" for what the actor may not see, exactly as for what is missing;
"forbidden" only for what they may see but not do."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from undersigned.commissions.models import CommissionMembership
from undersigned.permissions.access import access_statement, access_text
from undersigned.permissions.roles import Capability
from undersigned.statements.services import translator_assign
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import UserFactory, secretariat

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(libraries):
    return published_statement(libraries, slug="access", translations=("fr",))


def member(commission, role: str):
    user = UserFactory.create(email=f"{role}-{commission.slug}@example.org")
    CommissionMembership.objects.create(commission=commission, user=user, role=role)
    return user


@pytest.mark.parametrize("capability", list(Capability))
def test_a_statement_of_another_commission_is_not_found_like_a_missing_one(statement, mobility, capability):
    stranger = member(mobility, "editor")
    with pytest.raises(Http404):
        access_statement(actor=stranger, slug="no-such-statement", capability=capability)
    with pytest.raises(Http404):
        access_statement(actor=stranger, slug=statement.slug, capability=capability)


def test_a_translator_sees_only_the_statements_assigned_to_them(statement, libraries):
    tove = member(libraries, "translator")
    with pytest.raises(Http404):
        access_statement(actor=tove, slug=statement.slug, capability=Capability.VIEW)
    translator_assign(actor=None, statement=statement, language="es", translator=tove)
    assert access_statement(actor=tove, slug=statement.slug, capability=Capability.VIEW) == statement
    with pytest.raises(PermissionDenied):
        access_statement(actor=tove, slug=statement.slug, capability=Capability.MODERATE)
    with pytest.raises(PermissionDenied):  # who the statement is delivered to is no part of translating it
        access_statement(actor=tove, slug=statement.slug, capability=Capability.SEE_DELIVERIES)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", {Capability.VIEW, Capability.SEE_DELIVERIES}),
        ("moderator", {Capability.VIEW, Capability.MODERATE, Capability.SEE_DELIVERIES}),
        ("editor", set(Capability)),
    ],
)
def test_who_may_see_a_statement_is_refused_only_what_their_role_lacks(statement, libraries, role, allowed):
    user = member(libraries, role)
    for capability in Capability:
        if capability in allowed:
            assert access_statement(actor=user, slug=statement.slug, capability=capability) == statement
        else:
            with pytest.raises(PermissionDenied):
                access_statement(actor=user, slug=statement.slug, capability=capability)


def test_the_secretariat_has_every_statement_and_an_inactive_account_none(statement, libraries):
    sam = secretariat()
    for capability in Capability:
        assert access_statement(actor=sam, slug=statement.slug, capability=capability) == statement
    former = member(libraries, "editor")
    former.is_active = False
    former.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        access_statement(actor=former, slug=statement.slug, capability=Capability.VIEW)


def test_a_text_is_for_the_managers_and_the_translator_of_its_language(statement, libraries, mobility):
    tove = member(libraries, "translator")
    translator_assign(actor=None, statement=statement, language="fr", translator=tove)
    text = access_text(actor=tove, slug=statement.slug, language="fr")
    assert (text.language, text.statement) == ("fr", statement)
    with pytest.raises(PermissionDenied):
        access_text(actor=tove, slug=statement.slug, language="en")
    with pytest.raises(PermissionDenied):
        access_text(actor=member(libraries, "viewer"), slug=statement.slug, language="fr")
    with pytest.raises(Http404):
        access_text(actor=member(mobility, "editor"), slug=statement.slug, language="fr")
    editor = member(libraries, "editor")
    assert access_text(actor=editor, slug=statement.slug, language="en").language == "en"
    with pytest.raises(Http404):
        access_text(actor=editor, slug=statement.slug, language="de")  # no such text yet
