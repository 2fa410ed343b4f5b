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
        "/no-such-page/",
    ]


def test_every_public_page_type_has_the_strict_headers(client, pages):
    for path in pages:
        response = client.get(path)
        assert response.status_code in {200, 404}, path
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
