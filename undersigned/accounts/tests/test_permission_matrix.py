"""Every staff page, with every role and both methods: exactly the answer the rule gives.

The matrix below lists each staff address by its URL name with what each role gets from GET and
from POST: the page (200), a refused form (400), a redirect (the address it sends to), "forbidden"
(403: they may see the object but not do this), "not found" (404: they may not even know it
exists) or "method not allowed" (405). A staff page added without a line here fails
``test_every_staff_page_is_in_the_matrix``, so no page ships without its rule. The statement in the
addresses belongs to the "libraries" commission and has a French translation assigned to
"translator"; "other_editor" is an editor of another commission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from undersigned.actions.models import SolidarityAction
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.commissions.models import Commission, CommissionMembership
from undersigned.core.models import AuditEvent
from undersigned.deliveries.models import Delivery, DeliveryRecipient, Response, Target
from undersigned.deliveries.services import TargetInput, target_add
from undersigned.deliveries.tests.builders import sent_recipient
from undersigned.ledger import tlog
from undersigned.ledger.models import LogWitness, Milestone
from undersigned.ledger.witness_services import witness_add
from undersigned.organisations.models import Organisation, OrganisationContact
from undersigned.organisations.services.directory import contact_add
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement, StatementText
from undersigned.statements.services import translator_assign
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE
from undersigned.testing import UserFactory, secretariat, staff_login

pytestmark = pytest.mark.django_db

# The columns of every row below, in this order.
ROLES = ("secretariat", "editor", "moderator", "viewer", "translator", "other_editor")

Answer = int | str  # a status code, or the address that a 302 sends to


@dataclass(frozen=True)
class Rule:
    get: tuple[Answer, ...]  # what each role gets, in the order of ROLES
    post: tuple[Answer, ...]

    def answer(self, method: str, role: str) -> Answer:
        answers: tuple[Answer, ...] = getattr(self, method)
        return answers[ROLES.index(role)]


NO_METHOD = (405,) * len(ROLES)
EVERYONE_OK = (200,) * len(ROLES)
SECRETARIAT_PAGE = (200, 403, 403, 403, 403, 403)
SECRETARIAT_FORM = (400, 403, 403, 403, 403, 403)  # the secretariat's empty form is refused as invalid

STATEMENT = "/staff/statements/matrix/"
FRENCH_TEXT = STATEMENT + "texts/fr/"
MILESTONES = STATEMENT + "#milestones"
NEW_STATEMENT_TEXT = "/staff/statements/matrix-new/texts/en/"
CONTACTS = "/staff/organisations/{organisation}/#contacts"
TARGETS = STATEMENT + "delivery/#targets"
DELIVERIES = STATEMENT + "delivery/#deliveries"
# The delivery pages: editors act; moderators and viewers see the page; translators do not.
DELIVERY_FORM = (400, 400, 403, 403, 403, 404)  # the editors' POSTs below are refused as invalid
WITNESSES = "/staff/log/#witnesses"

# URL name → what each role gets from GET and from POST (the POSTs send ``POSTS`` below).
MATRIX: dict[str, Rule] = {
    "staff:dashboard": Rule(get=EVERYONE_OK, post=NO_METHOD),
    "staff:federation": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:commission_list": Rule(get=SECRETARIAT_PAGE, post=NO_METHOD),
    "staff:commission_new": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:commission_edit": Rule(get=SECRETARIAT_PAGE, post=("/staff/commissions/", 403, 403, 403, 403, 403)),
    "staff:statement_list": Rule(get=EVERYONE_OK, post=NO_METHOD),
    # Whoever may issue statements reaches the form; the other editor may not choose "libraries".
    "staff:statement_new": Rule(
        get=(200, 200, 403, 403, 403, 200),
        post=(NEW_STATEMENT_TEXT, NEW_STATEMENT_TEXT, 403, 403, 403, 400),
    ),
    # The other editor may not know that the statement exists: "not found", as for a missing one.
    "staff:statement": Rule(get=(200, 200, 200, 200, 200, 404), post=NO_METHOD),
    "staff:statement_action": Rule(get=NO_METHOD, post=(STATEMENT, STATEMENT, 403, 403, 403, 404)),
    # Without a language, the page sends back to the statement; French exists, so to its text.
    "staff:translation_new": Rule(
        get=(STATEMENT, STATEMENT, 403, 403, STATEMENT, 404),
        post=(FRENCH_TEXT, FRENCH_TEXT, 403, 403, FRENCH_TEXT, 404),
    ),
    # The translator edits the French text but may not publish it: the form says so.
    "staff:statement_text": Rule(
        get=(200, 200, 403, 403, 200, 404),
        post=(FRENCH_TEXT, FRENCH_TEXT, 403, 403, 400, 404),
    ),
    # The other editor moderates their own commission's sign-ons.
    "staff:sign_on_queue": Rule(get=(200, 200, 200, 403, 403, 200), post=(400, 400, 400, 403, 403, 400)),
    # Actions as sign-ons: the other editor reaches the queue, which holds only their commission's.
    "staff:action_queue": Rule(get=(200, 200, 200, 403, 403, 200), post=(400, 400, 400, 403, 403, 400)),
    # Who may, gets 400 from the POSTs below: a batch with no signature chosen, a wrong code.
    "staff:signature_queue": Rule(get=(200, 200, 200, 403, 403, 404), post=(400, 400, 400, 403, 403, 404)),
    "staff:sealed_export": Rule(get=(200, 200, 403, 403, 403, 404), post=(400, 400, 403, 403, 403, 404)),
    "staff:statement_milestones": Rule(get=NO_METHOD, post=(MILESTONES, MILESTONES, 403, 403, 403, 404)),
    # The secretariat's alone: refused to everyone else whether or not the statement exists.
    "staff:statement_retention": Rule(get=SECRETARIAT_PAGE, post=(STATEMENT + "retention/", 403, 403, 403, 403, 403)),
    "staff:delivery": Rule(get=(200, 200, 200, 200, 403, 404), post=NO_METHOD),
    "staff:delivery_target_add": Rule(get=NO_METHOD, post=DELIVERY_FORM),
    "staff:delivery_target_edit": Rule(get=(200, 200, 403, 403, 403, 404), post=DELIVERY_FORM),
    "staff:delivery_preview": Rule(get=NO_METHOD, post=DELIVERY_FORM),
    "staff:delivery_confirm": Rule(get=NO_METHOD, post=DELIVERY_FORM),
    "staff:delivery_response_add": Rule(get=NO_METHOD, post=DELIVERY_FORM),
    # A mail that was sent is not sent again: the editors are sent back with a message.
    "staff:delivery_retry": Rule(get=NO_METHOD, post=(DELIVERIES, DELIVERIES, 403, 403, 403, 404)),
    # After the edit (above), so that the target is still there for it.
    "staff:delivery_target_remove": Rule(get=NO_METHOD, post=(TARGETS, TARGETS, 403, 403, 403, 404)),
    "staff:organisation_list": Rule(get=SECRETARIAT_PAGE, post=NO_METHOD),
    "staff:organisation_new": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:organisation_types": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:organisation_edit": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:organisation_contact_add": Rule(get=NO_METHOD, post=SECRETARIAT_FORM),
    "staff:organisation_contact_remove": Rule(get=NO_METHOD, post=(CONTACTS, 403, 403, 403, 403, 403)),
    # The site's log and its witnesses: the secretariat's alone.
    "staff:log": Rule(get=SECRETARIAT_PAGE, post=SECRETARIAT_FORM),
    "staff:log_witness": Rule(get=NO_METHOD, post=(WITNESSES, 403, 403, 403, 403, 403)),
    "staff:log_send": Rule(get=NO_METHOD, post=(WITNESSES, 403, 403, 403, 403, 403)),
    # Each staff member's own account pages: everyone signed in, for themselves only.
    "accounts:security": Rule(get=EVERYONE_OK, post=NO_METHOD),
    "accounts:backup_codes": Rule(get=NO_METHOD, post=EVERYONE_OK),
    "accounts:end_sessions": Rule(get=NO_METHOD, post=("/accounts/security/",) * len(ROLES)),
    # An empty form is refused; a token that is not one's own (or none) is left as it was.
    "accounts:token_new": Rule(get=NO_METHOD, post=(400,) * len(ROLES)),
    "accounts:token_revoke": Rule(get=NO_METHOD, post=("/accounts/security/#tokens-heading",) * len(ROLES)),
    # An empty form: Django's password change page shows it again with its errors, as a 200.
    "accounts:password_change": Rule(get=EVERYONE_OK, post=EVERYONE_OK),
}
assert all(len(rule.get) == len(rule.post) == len(ROLES) for rule in MATRIX.values())


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
    SolidarityActionFactory(
        statement=statement, organisation=organisation, status=SolidarityAction.Status.AWAITING_MODERATION
    )
    target = target_add(
        actor=None,
        statement=statement,
        target=TargetInput(
            name="Minister of Culture", role="Minister", organisation="", email="minister@gov.example", language="fr"
        ),
    )
    recipient = sent_recipient(statement, target)
    witness_key = tlog.Signer.generate("witness.example/matrix").verifier
    witness = witness_add(
        actor=None,
        vkey=tlog.Verifier(witness_key.name, tlog.COSIGNATURE_V1, witness_key.public_key).vkey,
        url="https://witness.example.org",
    )
    return {
        "statement": statement,
        "people": people,
        "organisation": organisation,
        "contact": contact,
        "target": target,
        "recipient": recipient,
        "witness": witness,
    }


def url_of(name: str, world: dict[str, object]) -> str:
    statement = world["statement"]
    assert isinstance(statement, Statement)
    organisation, contact = world["organisation"], world["contact"]
    assert isinstance(organisation, Organisation) and isinstance(contact, OrganisationContact)
    target, recipient = world["target"], world["recipient"]
    assert isinstance(target, Target) and isinstance(recipient, DeliveryRecipient)
    witness = world["witness"]
    assert isinstance(witness, LogWitness)
    kwargs: dict[str, Callable[[], dict[str, object]]] = {
        "staff:commission_edit": lambda: {"slug": "urban-mobility"},  # renaming it leaves "libraries" as it was
        "staff:statement": lambda: {"slug": statement.slug},
        "staff:statement_action": lambda: {"slug": statement.slug},
        "staff:translation_new": lambda: {"slug": statement.slug},
        "staff:statement_text": lambda: {"slug": statement.slug, "language": "fr"},
        "staff:signature_queue": lambda: {"slug": statement.slug},
        "staff:sealed_export": lambda: {"slug": statement.slug},
        "staff:statement_milestones": lambda: {"slug": statement.slug},
        "staff:statement_retention": lambda: {"slug": statement.slug},
        "staff:delivery": lambda: {"slug": statement.slug},
        "staff:delivery_target_add": lambda: {"slug": statement.slug},
        "staff:delivery_target_edit": lambda: {"slug": statement.slug, "pk": target.pk},
        "staff:delivery_target_remove": lambda: {"slug": statement.slug, "pk": target.pk},
        "staff:delivery_preview": lambda: {"slug": statement.slug},
        "staff:delivery_confirm": lambda: {"slug": statement.slug},
        "staff:delivery_retry": lambda: {"slug": statement.slug, "pk": recipient.pk},
        "staff:delivery_response_add": lambda: {"slug": statement.slug},
        "staff:organisation_edit": lambda: {"pk": organisation.pk},
        "staff:organisation_contact_add": lambda: {"pk": organisation.pk},
        "staff:organisation_contact_remove": lambda: {"pk": organisation.pk, "contact_pk": contact.pk},
        "staff:log_witness": lambda: {"witness_id": witness.pk},
        "accounts:token_revoke": lambda: {"pk": 1},
    }
    return reverse(name, kwargs=kwargs[name]() if name in kwargs else None)


# What each POST sends: what it would change if it got through where it should not.
POSTS = {
    "staff:statement_new": {
        "commission": "public-libraries",
        "language": "en",
        "slug": "matrix-new",
        "source": PRESS_RELEASE,
    },
    "staff:statement_action": {"action": "withdraw"},
    "staff:statement_milestones": {"milestones": "10 20"},
    "staff:organisation_contact_remove": {},
    "staff:translation_new": {"language": "fr", "title": "Titre", "body": "Texte."},
    "staff:statement_text": {"action": "publish", "title": "Titre", "body": "Texte.", "change_note": "x"},
    "staff:commission_edit": {"slug": "renamed", "name_en": "Renamed"},
    "staff:statement_retention": {"retention_days": "1"},
    # No signature chosen: the moderation service itself refuses the batch, after its own check.
    "staff:signature_queue": {"action": "invalidate", "reason": "Matrix check"},
    "staff:sealed_export": {"code": "not-a-code"},
    # A rejection with nothing chosen and no reason: refused by the form's service, after the
    # page's own check of who may moderate (the other editor's refusals are test_moderation's).
    "staff:action_queue": {"action": "reject", "reason": ""},
    # Each with one thing wrong: not an address, no covering text, an answer with no text or link.
    "staff:delivery_target_add": {"name": "Rapporteur", "email": "rapporteur@", "language": "en"},
    "staff:delivery_target_edit": {"name": "Minister of Culture", "email": "minister@gov", "language": "fr"},
    "staff:delivery_preview": {"covering_text": "  "},
    "staff:delivery_confirm": {"covering_text": "", "seen_deliveries": "1"},
    "staff:delivery_response_add": {"who": "Minister", "responded_on": "2025-01-01", "language": "en"},
    "staff:log_witness": {"action": "deactivate"},
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
        list(Target.objects.values_list("name", "removed_at")),
        Delivery.objects.count(),
        list(DeliveryRecipient.objects.values_list("status", "attempts")),
        Response.objects.count(),
        list(LogWitness.objects.values_list("name", "active")),
        list(SolidarityAction.objects.values_list("status", "description", "photo")),
    )


def check(response, expected: Answer, what: str, world: dict[str, object]) -> None:
    organisation = world["organisation"]
    assert isinstance(organisation, Organisation)
    if isinstance(expected, str):
        location = response.headers.get("Location")
        assert (response.status_code, location) == (302, expected.format(organisation=organisation.pk)), what
    else:
        assert response.status_code == expected, f"{what}: expected {expected}, got {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_answer_of_its_rule(role, world):
    people = world["people"]
    assert isinstance(people, dict)
    client = Client()
    staff_login(client, people[role])
    for name, rule in MATRIX.items():
        url = url_of(name, world)
        for method in ("get", "post"):
            expected = rule.answer(method, role)
            before = snapshot()
            response = client.get(url) if method == "get" else client.post(url, POSTS.get(name, {}))
            check(response, expected, f"{role} {method.upper()} {name}", world)
            if method == "get" or (isinstance(expected, int) and expected >= 400):
                assert snapshot() == before, f"{role} {method.upper()} {name} answered {expected} but changed something"
        if name in {"accounts:end_sessions", "accounts:password_change"}:
            staff_login(client, people[role])  # those posts may end this very session


def test_a_statement_the_role_may_not_see_answers_as_a_missing_one(world):
    """Byte for byte: nothing in the "not found" page tells the other editor that the statement exists."""
    people = world["people"]
    assert isinstance(people, dict)
    client = Client()
    staff_login(client, people["other_editor"])
    hidden = [
        (name, method)
        for name, rule in MATRIX.items()
        for method in ("get", "post")
        if rule.answer(method, "other_editor") == 404
    ]
    assert len(hidden) >= 10
    for name, method in hidden:
        url = url_of(name, world)
        missing = url.replace("/matrix/", "/no-such-statement/")
        assert missing != url
        answers = [getattr(client, method)(address, POSTS.get(name, {})) for address in (url, missing)]
        assert [answer.status_code for answer in answers] == [404, 404], f"{method} {name}"
        assert answers[0].content == answers[1].content, f"{method} {name}"


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for name in MATRIX:
        url = url_of(name, world)
        before = snapshot()
        for method in ("get", "post"):
            response = getattr(client, method)(url, POSTS.get(name, {})) if method == "post" else client.get(url)
            assert response.status_code == 302, f"anonymous {method} {name}: {response.status_code}"
            assert response.headers["Location"].startswith("/accounts/sign-in/?next="), name
        assert snapshot() == before


def test_a_password_alone_reaches_no_page_of_a_role_that_needs_a_second_factor(world):
    people = world["people"]
    assert isinstance(people, dict)
    before = snapshot()
    for role in ("secretariat", "editor", "moderator", "other_editor"):
        client = Client()
        client.force_login(people[role])  # signed in with the password, no code given yet
        for name in MATRIX:
            for method in ("get", "post"):
                response = getattr(client, method)(url_of(name, world), POSTS.get(name, {}) if method == "post" else {})
                assert response.status_code == 302, f"{role} {method} {name}"
                assert response.headers["Location"].startswith("/accounts/second-factor/"), f"{role} {name}"
    assert snapshot() == before


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
            if rule.answer("get", role) != 200:
                continue
            page = client.get(url_of(name, world)).content.decode()
            for secret in secrets_of_signer:
                assert secret not in page, f"{role} sees {secret!r} on {name}"
