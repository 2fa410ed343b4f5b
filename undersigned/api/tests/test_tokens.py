"""Staff API tokens: made, shown once and revoked on the security page; kept hashed; refused when
wrong, expired, revoked or their owner no longer stands behind them; rate-limited when guessed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undersigned.api.models import ApiToken
from undersigned.api.services import token_create
from undersigned.core.models import AuditEvent
from undersigned.core.ratelimit import RULES
from undersigned.testing import UserFactory, editor, staff_login

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"und_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
STATEMENTS = "/api/v1/staff/statements"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def eli(libraries):
    """An editor, with the authenticator an editor must have (``staff_login`` sets it up)."""
    user = editor(libraries)
    staff_login(Client(), user)
    return user


def make_token(user, *scopes: str, days: int = 30) -> str:
    return token_create(user=user, name="script", scopes=scopes or ("read",), days=days).secret


def test_a_token_made_on_the_security_page_is_shown_once_and_listed_without_its_secret(client, eli):
    staff_login(client, eli)
    response = client.post(
        "/accounts/security/tokens/", {"name": "Weekly counts", "scopes": ["read", "moderate"], "days": "90"}
    )
    assert response.status_code == 200
    secret = SECRET.search(response.content.decode()).group(0)
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    page = client.get("/accounts/security/").content.decode()
    token = ApiToken.objects.get(user=eli)
    assert "Weekly counts" in page and f"und_{token.prefix}_" in page
    assert secret not in page and not SECRET.search(page)
    assert (token.scopes, token.expires_at - token.created_at) == (["read", "moderate"], timedelta(days=90))
    created = AuditEvent.objects.get(action="api_token.created")
    assert created.actor_id == eli.pk and secret not in str(created.detail)
    # And it works, as its owner.
    assert client.get(STATEMENTS, **bearer(secret)).status_code == 200


def test_the_database_keeps_a_digest_of_the_token_and_never_the_token(eli):
    secret = make_token(eli, "read")
    row = ApiToken.objects.values().get()
    assert not any(secret in str(value) or secret.split("_")[-1] in str(value) for value in row.values())
    assert len(row["digest"]) == 64 and secret.startswith(f"und_{row['prefix']}_")


def test_a_token_is_made_only_with_a_code_typed_just_now(client, eli):
    staff_login(client, eli)
    session = client.session
    session["second_factor_at"] = 1  # long ago
    session.save()
    response = client.post("/accounts/security/tokens/", {"name": "x", "scopes": ["read"], "days": "30"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/second-factor/?")
    assert not ApiToken.objects.exists()


def test_a_role_that_needs_a_second_factor_cannot_reach_the_form_without_one(client, eli):
    client.force_login(eli)  # a password, no code
    response = client.post("/accounts/security/tokens/", {"name": "x", "scopes": ["read"], "days": "30"})
    assert response.status_code == 302 and "/accounts/second-factor/" in response["Location"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        {"name": "x", "days": "30"},  # no scope
        {"name": "x", "scopes": ["read", "admin"], "days": "30"},
        {"name": "x", "scopes": ["read"], "days": "3650"},  # no such expiry: every token expires
        {"name": "x", "scopes": ["read"]},
        {"name": " ", "scopes": ["read"], "days": "30"},
        {"name": "a\x00b", "scopes": ["read"], "days": "30"},
        {"name": "n" * 101, "scopes": ["read"], "days": "30"},
    ],
)
def test_a_refused_form_says_why_and_makes_nothing(client, eli, form):
    staff_login(client, eli)
    response = client.post("/accounts/security/tokens/", form)
    assert response.status_code == 400
    assert "Please correct what is marked below." in response.content.decode()
    assert not ApiToken.objects.exists() and not AuditEvent.objects.filter(action="api_token.created").exists()


def test_revoking_on_the_security_page_ends_the_token_and_is_audited(client, eli):
    secret = make_token(eli, "read")
    token = ApiToken.objects.get()
    staff_login(client, eli)
    response = client.post(f"/accounts/security/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=eli).count() == 1
    refused = client.get(STATEMENTS, **bearer(secret))
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert "Revoked" in client.get("/accounts/security/").content.decode()


def test_no_one_revokes_another_persons_token(client, eli):
    secret = make_token(eli, "read")
    other = UserFactory.create(email="someone@example.org")
    staff_login(client, other)
    client.post(f"/accounts/security/tokens/{ApiToken.objects.get().pk}/revoke/")
    assert ApiToken.objects.get().revoked_at is None
    assert Client().get(STATEMENTS, **bearer(secret)).status_code == 200


def test_an_expired_token_is_refused(client, eli):
    secret = make_token(eli, "read", days=30)
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        response = client.get(STATEMENTS, **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer und_000000000000_" + "A" * 43,
        "Bearer not-a-token",
        "Bearer und_\x00",
    ],
)
def test_a_missing_or_wrong_token_is_a_401_with_what_to_send(client, eli, header):
    make_token(eli, "read")
    response = client.get(STATEMENTS, **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] in {"unauthenticated", "invalid_token"}
    assert response["WWW-Authenticate"].startswith('Bearer realm="undersigned"')


def test_a_token_with_one_character_changed_is_refused(client, eli):
    secret = make_token(eli, "read")
    changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert client.get(STATEMENTS, **bearer(changed)).json()["code"] == "invalid_token"


def test_a_deactivated_owners_tokens_stop_working(client, eli):
    secret = make_token(eli, "read")
    eli.is_active = False
    eli.save(update_fields=["is_active"])
    response = client.get(STATEMENTS, **bearer(secret))
    assert (response.status_code, response.json()["code"]) == (401, "token_ended")


def test_a_new_password_ends_the_tokens_made_under_the_old_one(client, eli):
    secret = make_token(eli, "read")
    eli.set_password("another long passphrase 42")
    eli.save(update_fields=["password"])
    assert client.get(STATEMENTS, **bearer(secret)).json()["code"] == "token_ended"
    staff_login(client, eli)
    assert "Ended by a new password" in client.get("/accounts/security/").content.decode()


def test_a_second_factor_reset_ends_the_tokens_of_a_role_that_needs_one(client, eli):
    from undersigned.accounts.second_factor import second_factor_remove

    staff_login(client, eli)  # gives Eli an authenticator
    secret = make_token(eli, "read")
    second_factor_remove(actor=None, user=eli)
    assert Client().get(STATEMENTS, **bearer(secret)).json()["code"] == "token_ended"


def test_last_use_is_recorded_at_most_once_a_minute(client, eli):
    secret = make_token(eli, "read")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(STATEMENTS, **bearer(secret))
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(STATEMENTS, **bearer(secret))
    assert ApiToken.objects.get().last_used_at == start  # no write for every request of a busy script
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(STATEMENTS, **bearer(secret))
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


def test_guessing_tokens_is_locked_out_with_retry_after_even_for_a_right_token(client, eli):
    secret = make_token(eli, "read")
    rule = RULES["api_token.network"]
    wrong = "und_000000000000_" + "A" * 43
    for _ in range(rule.limit):
        assert client.get(STATEMENTS, **bearer(wrong)).status_code == 401
    for attempt in (wrong, secret):
        response = client.get(STATEMENTS, **bearer(attempt))
        assert response.status_code == 429
        assert response.json()["code"] == "too_many_attempts"
        assert int(response["Retry-After"]) == rule.window_seconds


def test_an_expired_token_does_not_count_towards_the_lock_out(client, eli):
    secret = make_token(eli, "read", days=30)
    fresh = make_token(eli, "read")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        for _ in range(RULES["api_token.network"].limit + 1):
            client.get(STATEMENTS, **bearer(secret))
    ApiToken.objects.filter(digest__isnull=False).update(expires_at=timezone.now() + timedelta(days=90))
    assert client.get(STATEMENTS, **bearer(fresh)).status_code == 200


def test_an_owner_has_at_most_twenty_working_tokens(eli):
    from undersigned.core.exceptions import DomainError

    for _ in range(20):
        make_token(eli, "read")
    with pytest.raises(DomainError) as refused:
        make_token(eli, "read")
    assert refused.value.code == "too_many_tokens"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(presented=st.text(max_size=120), scheme=st.sampled_from(["Bearer ", "bearer ", "Token ", ""]))
def test_whatever_is_sent_as_a_token_is_answered_with_a_json_401_or_429(eli, presented, scheme):
    response = Client().get(STATEMENTS, HTTP_AUTHORIZATION=scheme + presented)
    assert response.status_code in (401, 429)
    assert set(response.json()) == {"code", "message", "detail"}
