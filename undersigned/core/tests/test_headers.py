"""Every kind of public page is sent with the strict headers: a Content Security Policy without
inline script, no framing, no referrer to other sites, no camera, microphone or location."""

from __future__ import annotations

import pytest

from undersigned.ledger.services import seal_pending
from undersigned.signatures.tests.conftest import build_open_statement, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(libraries) -> list[str]:
    target = build_open_statement(libraries)
    sign(target, email="a@example.org", confirm=True)
    seal_pending()
    slug = target.statement.slug
    return [
        "/",
        "/statements/",
        f"/statements/{slug}/",
        f"/statements/{slug}/signatures/",
        f"/statements/{slug}/transparency/",
        f"/statements/{slug}/sign-on/",
        "/organisations/",
        "/organisations/members/sign-in/",
        "/accounts/sign-in/",
        "/accounts/password-reset/",
        "/your-data/",
        "/your-data/forged-link/",
        "/no-such-page/",
    ]


def test_every_public_page_type_has_the_strict_headers(client, pages):
    for path in pages:
        response = client.get(path)
        assert response.status_code in {200, 400, 404}, path
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["default-src"] == "'self'", path
        assert "'unsafe-inline'" not in directives.get("script-src", "") and "'unsafe-eval'" not in policy, path
        assert directives["frame-ancestors"] == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        permissions = response.headers["Permissions-Policy"]
        assert all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation")), path
        assert "<script>" not in response.content.decode(), path  # no inline script to allow


def test_over_tls_responses_carry_hsts_and_cookies_are_secure(client, settings, libraries):
    from undersigned.testing import TEST_PASSWORD, secretariat

    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = True
    secretariat()
    page = client.get("/accounts/sign-in/", secure=True)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        "/accounts/sign-in/", {"username": "sam@example.org", "password": TEST_PASSWORD}, secure=True
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert "Strict-Transport-Security" not in client.get("/accounts/sign-in/").headers  # plain HTTP: none


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT_LANGUAGE": "fr;q=0.9," * 20_000},
        {"HTTP_ACCEPT_LANGUAGE": "\x00\x01;q=abc, ;q=, *;q=-1"},
        {"HTTP_COOKIE": "sessionid=\x00; language=%FF%FE\xff; csrftoken=" + "x" * 10_000},
        {"HTTP_USER_AGENT": "\x00" * 10 + "A" * 100_000},
        {"HTTP_X_FORWARDED_FOR": "not an address, 999.1.1.1, ::::"},
        {"HTTP_REFERER": "javascript:alert(1)" + "/" * 5000},
        {"HTTP_HOST": "bad host\x00name"},
        {"HTTP_HOST": "a" * 5000 + ".example"},
    ],
    ids=[
        "long-accept-language",
        "broken-accept-language",
        "broken-cookies",
        "huge-user-agent",
        "bad-forwarded-for",
        "odd-referer",
        "control-in-host",
        "long-host",
    ],
)
def test_oversized_or_malformed_headers_get_a_page_never_a_server_error(client, headers, pages):
    for path in ("/", pages[2], "/accounts/sign-in/"):
        response = client.get(path, **headers)
        assert response.status_code in {200, 400}, (path, response.status_code)
