"""Every staff page, with every role: allowed, or 403 and nothing changed.

The matrix below lists each staff address by its URL name with the roles that may GET it and POST
to it. A staff page added without a line here fails ``test_every_staff_page_is_in_the_matrix``, so
no page ships without its rule. The statement in the addresses belongs to the "libraries"
commission; "other_editor" is an editor of another commission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from undersigned.commissions.models import Commission, CommissionMembership
from undersigned.core.models import AuditEvent
from undersigned.ledger.models import Milestone
from undersigned.organisations.models import Organisation, OrganisationContact
from undersigned.organisations.services.directory import contact_add
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement, StatementText
from undersigned.statements.services import translator_assign
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import UserFactory, secretariat, staff_login

pytestmark = pytest.mark.django_db

ROLES = ("secretariat", "editor", "moderator", "viewer", "translator", "other_editor")
EVERYONE = frozenset(ROLES)
SECRETARIAT = frozenset({"secretariat"})
MANAGERS = frozenset({"secretariat", "editor"})
MODERATORS = frozenset({"secretariat", "editor", "moderator"})
SEE_STATEMENT = frozenset({"secretariat", "editor", "moderator", "viewer", "translator"})
TRANSLATES = frozenset({"secretariat", "editor", "translator"})
ISSUE_STATEMENTS = frozenset({"secretariat", "editor", "other_editor"})
MODERATE_SOMETHING = frozenset({"secretariat", "editor", "moderator", "other_editor"})


@dataclass(frozen=True)
class Rule:
    get: frozenset[str] | None  # None: the page takes no GET
    post: frozenset[str] | None  # None: the page takes no POST


# URL name → who may GET and who may POST.
MATRIX: dict[str, Rule] = {
    "staff:dashboard": Rule(get=EVERYONE, post=None),
    "staff:federation": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:commission_list": Rule(get=SECRETARIAT, post=None),
    "staff:commission_new": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:commission_edit": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:statement_list": Rule(get=EVERYONE, post=None),
    "staff:statement_new": Rule(get=ISSUE_STATEMENTS, post=ISSUE_STATEMENTS),
    "staff:statement": Rule(get=SEE_STATEMENT, post=None),
    "staff:statement_action": Rule(get=None, post=MANAGERS),
    "staff:translation_new": Rule(get=TRANSLATES, post=TRANSLATES),
    "staff:statement_text": Rule(get=TRANSLATES, post=TRANSLATES),
    "staff:sign_on_queue": Rule(get=MODERATE_SOMETHING, post=MODERATE_SOMETHING),
    "staff:signature_queue": Rule(get=MODERATORS, post=MODERATORS),
    "staff:sealed_export": Rule(get=MANAGERS, post=MANAGERS),
    "staff:statement_milestones": Rule(get=None, post=MANAGERS),
    "staff:statement_retention": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:organisation_list": Rule(get=SECRETARIAT, post=None),
    "staff:organisation_new": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:organisation_types": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:organisation_edit": Rule(get=SECRETARIAT, post=SECRETARIAT),
    "staff:organisation_contact_add": Rule(get=None, post=SECRETARIAT),
    "staff:organisation_contact_remove": Rule(get=None, post=SECRETARIAT),
    # Each staff member's own account pages: everyone signed in, for themselves only.
    "accounts:security": Rule(get=EVERYONE, post=None),
    "accounts:backup_codes": Rule(get=None, post=EVERYONE),
    "accounts:end_sessions": Rule(get=None, post=EVERYONE),
    "accounts:password_change": Rule(get=EVERYONE, post=EVERYONE),
}
ACCOUNT_PAGES = {name for name in MATRIX if name.startswith("accounts:")}


def staff_url_names() -> set[str]:
    """Every named address under /staff/, read from the URL configuration itself."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
                walk(pattern.url_patterns, inner or namespace, prefix + str(pattern.pattern))
            elif pattern.name and (prefix + str(pattern.pattern)).startswith("staff/"):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_staff_page_is_in_the_matrix():
    missing = staff_url_names() - set(MATRIX)
    assert not missing, f"staff pages without a rule in the permission matrix: {sorted(missing)}"
    assert {name for name in MATRIX if name.startswith("staff:")} <= staff_url_names()


@pytest.fixture
def world(libraries, mobility) -> dict[str, object]:
    statement = published_statement(libraries, slug="matrix", translations=("fr",))
    people = {"secretariat": secretariat()}
    for role in ("editor", "moderator", "viewer", "translator"):
        person = UserFactory.create(email=f"{role}@example.org", full_name=f"A {role}")
        CommissionMembership.objects.create(commission=libraries, user=person, role=role)
        people[role] = person
    translator_assign(actor=None, statement=statement, language="fr", translator=people["translator"])
    other = UserFactory.create(email="other@example.org", full_name="Other Editor")
    CommissionMembership.objects.create(commission=mobility, user=other, role="editor")
    people["other_editor"] = other
    organisation = member_organisation()
    contact = contact_add(
        actor=None, organisation=organisation, name="Ana Contact", role="Chair", email="ana@reading-room.example"
    )
    return {"statement": statement, "people": people, "organisation": organisation, "contact": contact}


def url_of(name: str, world: dict[str, object]) -> str:
    statement = world["statement"]
    assert isinstance(statement, Statement)
    organisation, contact = world["organisation"], world["contact"]
    assert isinstance(organisation, Organisation) and isinstance(contact, OrganisationContact)
    kwargs: dict[str, Callable[[], dict[str, object]]] = {
        "staff:commission_edit": lambda: {"slug": "public-libraries"},
        "staff:statement": lambda: {"slug": statement.slug},
        "staff:statement_action": lambda: {"slug": statement.slug},
        "staff:translation_new": lambda: {"slug": statement.slug},
        "staff:statement_text": lambda: {"slug": statement.slug, "language": "fr"},
        "staff:signature_queue": lambda: {"slug": statement.slug},
        "staff:sealed_export": lambda: {"slug": statement.slug},
        "staff:statement_milestones": lambda: {"slug": statement.slug},
        "staff:statement_retention": lambda: {"slug": statement.slug},
        "staff:organisation_edit": lambda: {"pk": organisation.pk},
        "staff:organisation_contact_add": lambda: {"pk": organisation.pk},
        "staff:organisation_contact_remove": lambda: {"pk": organisation.pk, "contact_pk": contact.pk},
    }
    return reverse(name, kwargs=kwargs[name]() if name in kwargs else None)


# What a forbidden POST would change if it got through; the same before and after.
POSTS = {
    "staff:statement_action": {"action": "withdraw"},
    "staff:statement_milestones": {"milestones": "10 20"},
    "staff:organisation_contact_remove": {},
    "staff:translation_new": {"language": "fr", "title": "Titre", "body": "Texte."},
    "staff:statement_text": {"action": "publish", "title": "Titre", "body": "Texte.", "change_note": "x"},
    "staff:commission_edit": {"slug": "renamed", "name_en": "Renamed"},
    "staff:statement_retention": {"retention_days": "1"},
}


def snapshot() -> tuple[object, ...]:
    return (
        AuditEvent.objects.count(),
        list(Statement.objects.values_list("slug", "status")),
        list(StatementText.objects.values_list("language", "status", "title")),
        Milestone.objects.count(),
        OrganisationContact.objects.count(),
        list(Commission.objects.values_list("slug", flat=True)),
        Signature.objects.count(),
    )


def check(response, allowed: bool, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    location = response.headers.get("Location", "")
    assert not location.startswith(("/accounts/sign-in/", "/accounts/second-factor/")), f"{what}: {location}"
    if allowed:
        assert response.status_code != 403, f"{what} should be allowed, got 403"
    else:
        assert response.status_code == 403, f"{what} should be refused, got {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_its_pages(role, world):
    people = world["people"]
    assert isinstance(people, dict)
    client = Client()
    staff_login(client, people[role])
    for name, rule in MATRIX.items():
        url = url_of(name, world)
        if rule.get is not None:
            check(client.get(url), role in rule.get, f"{role} GET {name}")
        else:
            assert client.get(url).status_code == 405, f"{name} should not take GET"
        if rule.post is not None:
            before = snapshot()
            response = client.post(url, POSTS.get(name, {}))
            check(response, role in rule.post, f"{role} POST {name}")
            if role not in rule.post:
                assert snapshot() == before, f"{role} POST {name} was refused but changed something"
        if name in {"accounts:end_sessions", "accounts:password_change"}:
            staff_login(client, people[role])  # those posts may end this very session


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for name, rule in MATRIX.items():
        url = url_of(name, world)
        before = snapshot()
        for method in ("get", "post"):
            if getattr(rule, method) is None:
                continue
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"anonymous {method} {name}: {response.status_code}"
            assert response.headers["Location"].startswith("/accounts/sign-in/?next="), name
        assert snapshot() == before


def test_a_password_alone_reaches_no_page_of_a_role_that_needs_a_second_factor(world):
    people = world["people"]
    assert isinstance(people, dict)
    for role in ("secretariat", "editor", "moderator", "other_editor"):
        client = Client()
        client.force_login(people[role])  # signed in with the password, no code given yet
        for name, rule in MATRIX.items():
            for method in ("get", "post"):
                if getattr(rule, method) is None:
                    continue
                response = getattr(client, method)(url_of(name, world))
                assert response.status_code == 302, f"{role} {method} {name}"
                assert response.headers["Location"].startswith("/accounts/second-factor/"), f"{role} {name}"


def test_no_staff_page_shows_what_is_sealed(client, world):
    """Sealed contact data never reaches a staff page, whoever looks: the server cannot open it."""
    from undersigned.signatures.services import SignerInput, signature_record

    statement = world["statement"]
    assert isinstance(statement, Statement)
    revision = statement.texts.get(language="en").published_revision
    signature_record(
        statement=statement,
        revision=revision,
        signer=SignerInput(
            name="Zephyrine Quall",
            email="zephyrine.quall@sealed.example",
            country="FR",
            city="Montauban-sur-Test",
            affiliation="Guild of Sample Binders",
            name_shown="hidden",
        ),
        network_hash="c" * 64,
        language="en",
        proof_of_work=True,
    )
    people = world["people"]
    assert isinstance(people, dict)
    secrets_of_signer = (
        "zephyrine",
        "Quall",
        "sealed.example",
        "Montauban",
        "Sample Binders",
        "ana@reading-room",
        "Ana Contact",
    )
    for role in ("secretariat", "editor", "moderator"):
        staff_login(client, people[role])
        for name, rule in MATRIX.items():
            if rule.get is None or role not in rule.get:
                continue
            page = client.get(url_of(name, world)).content.decode()
            for secret in secrets_of_signer:
                assert secret not in page, f"{role} sees {secret!r} on {name}"
