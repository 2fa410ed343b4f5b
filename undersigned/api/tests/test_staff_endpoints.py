"""The staff endpoints: every endpoint with every scope and every role gets exactly the answer of
the staff pages' rules; a refused write changes nothing and every use of a write scope is audited;
no signer's or contact's address ever leaves through them.

The statement belongs to the "libraries" commission and has a French translation assigned to
"translator"; "other_editor" is an editor of another commission (as in the staff pages' matrix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.api.models import ApiToken
from undersigned.api.services import token_create
from undersigned.api.tests.conftest import awaiting_sign_on, confirmed_signature
from undersigned.commissions.models import CommissionMembership
from undersigned.core import process_caches
from undersigned.core.models import AuditEvent
from undersigned.deliveries.models import DeliveryRecipient, Response
from undersigned.deliveries.services import TargetInput, delivery_create, target_add
from undersigned.deliveries.tests.builders import sent_recipient
from undersigned.organisations.models import SignOn
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement
from undersigned.statements.services import translator_assign
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import UserFactory, secretariat, staff_login

pytestmark = pytest.mark.django_db

ROLES = ("secretariat", "editor", "moderator", "viewer", "translator", "other_editor")
SCOPES = ("read", "moderate", "deliver")
SLUG = "api-matrix"


@dataclass(frozen=True)
class World:
    statement: Statement
    people: dict[str, Any]
    sign_ons: list[SignOn]
    signature: Signature
    recipient: DeliveryRecipient
    target_id: int


@pytest.fixture
def world(libraries, mobility) -> World:
    ensure_builtin_types()
    statement = published_statement(libraries, slug=SLUG, translations=("fr",))
    people: dict[str, Any] = {"secretariat": secretariat()}
    for role in ("editor", "moderator", "viewer", "translator"):
        person = UserFactory.create(email=f"{role}@example.org", full_name=f"A {role}")
        CommissionMembership.objects.create(commission=libraries, user=person, role=role)
        people[role] = person
    translator_assign(actor=None, statement=statement, language="fr", translator=people["translator"])
    other = UserFactory.create(email="other@example.org", full_name="Other Editor")
    CommissionMembership.objects.create(commission=mobility, user=other, role="editor")
    people["other_editor"] = other
    for person in people.values():
        staff_login(Client(), person)  # the authenticator that editors and moderators must have
    target = target_add(
        actor=None,
        statement=statement,
        target=TargetInput(
            name="Minister of Culture", role="Minister", organisation="", email="minister@gov.example", language="fr"
        ),
    )
    recipient = sent_recipient(statement, target)
    DeliveryRecipient.objects.filter(pk=recipient.pk).update(
        status=DeliveryRecipient.Status.GIVEN_UP, sent_at=None, last_error="refused"
    )
    return World(
        statement=statement,
        people=people,
        sign_ons=[awaiting_sign_on(statement, "Reading Room", "FR"), awaiting_sign_on(statement, "Book Club", "ES")],
        signature=confirmed_signature(statement, "ana@example.org"),
        recipient=recipient,
        target_id=target.pk,
    )


def tokens_for(user) -> dict[str, str]:
    return {scope: token_create(user=user, name=scope, scopes=[scope], days=30).secret for scope in SCOPES}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    scope: str
    answers: tuple[int, ...]  # in the order of ROLES, with the right scope
    write: bool = False

    def call(self, client: Client, world: World, secret: str) -> Any:
        statement, sign_ons = world.statement.slug, world.sign_ons
        paths = {
            "statements": "/api/v1/staff/statements",
            "statement": f"/api/v1/staff/statements/{statement}",
            "queue": "/api/v1/staff/sign-ons",
            "queue_of_statement": f"/api/v1/staff/sign-ons?statement={statement}",
            "approve": f"/api/v1/staff/sign-ons/{sign_ons[0].public_id}/approve",
            "reject": f"/api/v1/staff/sign-ons/{sign_ons[1].public_id}/reject",
            "invalidate": f"/api/v1/staff/statements/{statement}/signatures/{world.signature.public_id}/invalidate",
            "restore": f"/api/v1/staff/statements/{statement}/signatures/{world.signature.public_id}/restore",
            "deliveries": f"/api/v1/staff/statements/{statement}/deliveries",
            "response": f"/api/v1/staff/statements/{statement}/responses",
            "retry": f"/api/v1/staff/statements/{statement}/recipients/{world.recipient.pk}/retry",
        }
        bodies: dict[str, dict[str, Any]] = {
            "reject": {"reason": "Not an organisation."},
            "invalidate": {"reason": "Burst from one network."},
            "restore": {"reason": "Checked: a real signer."},
            "response": {"target": world.target_id, "responded_on": "2026-01-05", "text": "Thanks.", "language": "fr"},
        }
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if self.method == "get":
            return client.get(paths[self.name], **headers)
        return client.post(paths[self.name], bodies.get(self.name, {}), content_type="application/json", **headers)


# In this order: restore follows invalidate, so each succeeds where the rule lets it.
ENDPOINTS = (
    Endpoint("statements", "get", "read", (200, 200, 200, 200, 200, 200)),
    # The translator may know the statement exists (it is assigned to them), not its staff data.
    Endpoint("statement", "get", "read", (200, 200, 200, 200, 403, 404)),
    # The review queue is for those who moderate anything: the other editor sees an empty one.
    Endpoint("queue", "get", "read", (200, 200, 200, 403, 403, 200)),
    Endpoint("queue_of_statement", "get", "read", (200, 200, 200, 403, 403, 404)),
    # A sign-on is found among those the role reviews: to anyone else it does not exist.
    Endpoint("approve", "post", "moderate", (200, 200, 200, 404, 404, 404), write=True),
    Endpoint("reject", "post", "moderate", (200, 200, 200, 404, 404, 404), write=True),
    Endpoint("invalidate", "post", "moderate", (200, 200, 200, 403, 403, 404), write=True),
    Endpoint("restore", "post", "moderate", (200, 200, 200, 403, 403, 404), write=True),
    Endpoint("deliveries", "get", "deliver", (200, 200, 200, 200, 403, 404)),
    Endpoint("response", "post", "deliver", (201, 201, 403, 403, 403, 404), write=True),
    Endpoint("retry", "post", "deliver", (200, 200, 403, 403, 403, 404), write=True),
)


def snapshot() -> tuple[object, ...]:
    return (
        list(SignOn.objects.order_by("pk").values_list("status", "decided_by")),
        list(Signature.objects.order_by("pk").values_list("status", flat=True)),
        Response.objects.count(),
        list(DeliveryRecipient.objects.order_by("pk").values_list("status", "attempts")),
        AuditEvent.objects.exclude(action="api_token.used").count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_endpoint_answers_each_role_and_scope_as_the_staff_pages_rules_do(role, world):
    person = world.people[role]
    secrets = tokens_for(person)
    client = Client()
    for endpoint in ENDPOINTS:
        expected = endpoint.answers[ROLES.index(role)]
        for scope in SCOPES:
            if scope == endpoint.scope:
                continue
            before = snapshot()
            refused = endpoint.call(client, world, secrets[scope])
            what = f"{role} {endpoint.name} with {scope}"
            assert (refused.status_code, refused.json()["code"]) == (403, "missing_scope"), what
            assert snapshot() == before, what
        uses = AuditEvent.objects.filter(action="api_token.used").count()
        before = snapshot()
        response = endpoint.call(client, world, secrets[endpoint.scope])
        what = f"{role} {endpoint.name}"
        assert response.status_code == expected, f"{what}: expected {expected}, got {response.status_code}"
        assert response["Content-Type"].startswith("application/json"), what
        if expected >= 400:
            assert set(response.json()) == {"code", "message", "detail"}, what
            assert snapshot() == before, f"{what} was refused but changed something"
        if endpoint.write:
            # Every use of a write scope, done or refused, is one audit event naming the token.
            event = AuditEvent.objects.filter(action="api_token.used").order_by("-pk").first()
            assert AuditEvent.objects.filter(action="api_token.used").count() == uses + 1, what
            assert event is not None and event.actor_id == person.pk, what
            token = ApiToken.objects.get(user=person, can_read=False, **{f"can_{endpoint.scope}": True})
            assert event.subject_id == token.pk and event.detail["token"] == token.prefix, what
            assert event.detail["outcome"] == ("done" if expected < 400 else response.json()["code"]), what
        else:
            assert "private" in response.get("Cache-Control", "private"), what


def test_the_lists_hold_only_the_statements_and_sign_ons_of_the_owners_roles(world):
    client = Client()
    seen = {}
    for role in ROLES:
        secret = tokens_for(world.people[role])["read"]
        items = client.get("/api/v1/staff/statements", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["items"]
        seen[role] = [item["slug"] for item in items]
    assert seen == {
        "secretariat": [SLUG],
        "editor": [SLUG],
        "moderator": [SLUG],
        "viewer": [SLUG],
        "translator": [],
        "other_editor": [],
    }
    secret = tokens_for(world.people["other_editor"])["read"]
    queue = client.get("/api/v1/staff/sign-ons", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert queue == {"items": []}


def test_the_counts_are_by_status_and_the_public_count_is_the_confirmed_one(world):
    Signature.objects.filter(pk=world.signature.pk)  # confirmed
    confirmed_signature(world.statement, "bo@example.org")
    secret = tokens_for(world.people["viewer"])["read"]
    body = Client().get(f"/api/v1/staff/statements/{SLUG}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert body["signatures"] == {"pending": 0, "confirmed": 2, "held": 0, "invalidated": 0, "withdrawn": 0}
    assert body["sign_ons"] == {"pending": 0, "awaiting": 2, "approved": 0, "rejected": 0, "withdrawn": 0}
    assert body["capabilities"] == ["view", "see_deliveries"]


def test_a_role_lost_after_the_token_was_made_is_lost_to_the_token(world):
    moderator = world.people["moderator"]
    secret = tokens_for(moderator)["moderate"]
    CommissionMembership.objects.filter(user=moderator).update(role="viewer")
    path = f"/api/v1/staff/statements/{SLUG}/signatures/{world.signature.public_id}/invalidate"
    response = Client().post(
        path, {"reason": "Burst."}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 403
    assert Signature.objects.get(pk=world.signature.pk).status == Signature.Status.CONFIRMED


def test_a_moderation_through_a_token_is_the_staff_pages_moderation(world):
    secret = tokens_for(world.people["moderator"])["moderate"]
    client = Client()
    path = f"/api/v1/staff/statements/{SLUG}/signatures/{world.signature.public_id}/invalidate"
    response = client.post(
        path,
        {"reason": "Burst from one network."},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.json() == {"public_id": world.signature.public_id, "status": "invalidated"}
    # The same service: the same audit event and public count as the moderators' page.
    assert AuditEvent.objects.filter(action="signature.invalidated", actor=world.people["moderator"]).count() == 1
    assert client.get(f"/api/v1/statements/{SLUG}/counts").json()["signatures"]["total"] == 0
    again = client.post(
        path, {"reason": "Burst."}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_changed")


BAD_WRITES = [
    # (path after /api/v1/staff/, body, expected status)
    ("sign-ons/{sign_on}/reject", {}, 422),
    ("sign-ons/{sign_on}/reject", {"reason": ""}, 400),
    ("sign-ons/{sign_on}/reject", {"reason": "a\x00b"}, 422),
    ("sign-ons/{sign_on}/reject", {"reason": "x" * 501}, 400),
    ("sign-ons/{sign_on}/reject", {"reason": ["a"]}, 422),
    ("sign-ons/%00/approve", {}, 404),
    ("sign-ons/" + "Z" * 300 + "/approve", {}, 404),
    ("sign-ons/not-an-id/approve", {}, 404),
    ("statements/{slug}/signatures/{signature}/invalidate", {"reason": "  "}, 400),
    ("statements/{slug}/signatures/%00/invalidate", {"reason": "x"}, 404),
    ("statements/{slug}/signatures/{signature}/restore", {"reason": "x"}, 409),
    ("statements/no-such/signatures/{signature}/invalidate", {"reason": "x"}, 404),
    ("statements/{slug}/responses", {"responded_on": "2026-01-05", "language": "fr"}, 400),
    ("statements/{slug}/responses", {"responded_on": "2999-01-01", "text": "x", "language": "fr", "who": "A"}, 400),
    ("statements/{slug}/responses", {"responded_on": "not a date", "text": "x", "language": "fr"}, 422),
    (
        "statements/{slug}/responses",
        {"target": 2**40, "responded_on": "2026-01-05", "text": "x", "language": "fr"},
        422,
    ),
    (
        "statements/{slug}/responses",
        {"target": 999999, "responded_on": "2026-01-05", "text": "x", "language": "fr"},
        400,
    ),
    ("statements/{slug}/responses", {"who": "A", "responded_on": "2026-01-05", "text": "x", "language": "xx"}, 400),
    (
        "statements/{slug}/responses",
        {"who": "A", "responded_on": "2026-01-05", "link": "javascript:x", "language": "fr"},
        400,
    ),
    ("statements/{slug}/recipients/99999999999/retry", {}, 404),
    ("statements/{slug}/recipients/-1/retry", {}, 404),
]


@pytest.mark.parametrize(("path", "body", "status"), BAD_WRITES)
def test_bad_input_is_a_json_4xx_that_changes_nothing(world, path, body, status):
    secret = token_create(
        user=world.people["editor"], name="all", scopes=["read", "moderate", "deliver"], days=30
    ).secret
    url = "/api/v1/staff/" + path.format(
        sign_on=world.sign_ons[0].public_id, slug=SLUG, signature=world.signature.public_id
    )
    before = snapshot()
    response = Client().post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == status, response.content
    assert set(response.json()) == {"code", "message", "detail"}
    assert snapshot() == before


def test_a_body_that_is_not_json_is_a_400(world):
    secret = tokens_for(world.people["editor"])["moderate"]
    response = Client().post(
        f"/api/v1/staff/sign-ons/{world.sign_ons[1].public_id}/reject",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code in (400, 422) and set(response.json()) == {"code", "message", "detail"}


def test_no_address_of_a_signer_contact_or_target_leaves_through_the_staff_endpoints(world):
    secrets = token_create(
        user=world.people["secretariat"], name="all", scopes=["read", "moderate", "deliver"], days=30
    ).secret
    client = Client()
    bodies = [
        client.get(path, HTTP_AUTHORIZATION=f"Bearer {secrets}").content.decode()
        for path in (
            "/api/v1/staff/statements",
            f"/api/v1/staff/statements/{SLUG}",
            "/api/v1/staff/sign-ons",
            f"/api/v1/staff/statements/{SLUG}/deliveries",
        )
    ]
    text = "\n".join(bodies)
    assert "Reading Room" in text and "Minister of Culture" in text
    for address in ("ana@example.org", "contact@reading-room.example", "minister@gov.example", "@"):
        assert address not in text


def test_the_schema_documents_the_security_scheme_and_every_error(world):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["StaffToken"] == {"type": "http", "scheme": "bearer"}
    staff = {path: item for path, item in schema["paths"].items() if path.startswith("/api/v1/staff/")}
    assert len(staff) == 10
    for path, item in staff.items():
        for method, operation in item.items():
            assert operation["security"] == [{"StaffToken": []}], (path, method)
            for status in ("401", "403", "404", "422", "429"):
                content = operation["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_a_public_read_needs_no_token_still(world):
    assert Client().get(f"/api/v1/statements/{SLUG}").status_code == 200


def test_a_write_refused_by_the_service_is_audited_with_its_reason(world):
    secret = tokens_for(world.people["editor"])["moderate"]
    Client().post(
        f"/api/v1/staff/sign-ons/{world.sign_ons[1].public_id}/reject",
        {"reason": " "},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    event = AuditEvent.objects.get(action="api_token.used")
    assert event.detail["action"] == "sign_on.reject" and event.detail["outcome"] == "reason_required"
    assert event.created_at <= timezone.now()


def test_any_response_body_gets_a_json_answer_and_never_a_500(world):
    secret = tokens_for(world.people["editor"])["deliver"]

    @settings(max_examples=40, deadline=None)
    @given(
        body=st.dictionaries(
            st.sampled_from(["target", "who", "responded_on", "text", "link", "language"]),
            st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.dates().map(str)),
        )
    )
    def check(body: dict[str, Any]) -> None:
        before = Response.objects.count()
        response = Client().post(
            f"/api/v1/staff/statements/{SLUG}/responses",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert response.status_code in (201, 400, 422)
        if response.status_code != 201:
            assert set(response.json()) == {"code", "message", "detail"}
            assert Response.objects.count() == before

    check()


def test_the_statement_list_asks_the_database_as_often_for_many_statements_as_for_one(world, libraries):
    secret = tokens_for(world.people["editor"])["read"]
    client = Client()

    def queries() -> int:
        # Each measured call starts with empty caches: some live a second or a few, and on a busy
        # machine one may lapse between two calls and cost a query that has nothing to do with
        # how many statements there are.
        process_caches.clear_all()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/staff/statements", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        return len(captured)

    queries()  # the first also notes the token's last use
    one = queries()
    for number in range(3):
        published_statement(libraries, slug=f"more-{number}", translations=())
    assert queries() == one


def test_the_deliveries_say_whether_their_mails_mentioned_the_solidarity_actions(world):
    member = member_organisation()
    for country in ("FR", "ES"):
        SolidarityActionFactory(statement=world.statement, organisation=member, country=country)
    delivery_create(
        actor=None,
        statement=world.statement,
        covering_text="Dear Minister,",
        seen_deliveries=1,
        again_today=True,
        mention_actions=True,
    )
    secret = tokens_for(world.people["editor"])["deliver"]
    body = Client().get(f"/api/v1/staff/statements/{SLUG}/deliveries", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [
        (item["number"], item["mention_actions"], item["actions"], item["action_countries"])
        for item in body["deliveries"]
    ] == [(2, True, 2, 2), (1, False, 0, 0)]
