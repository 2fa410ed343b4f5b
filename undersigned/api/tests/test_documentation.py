"""The documentation page: drawn from the live schema on our own server, a page like the others
(strict CSP, nothing from elsewhere, no script), translated, and linked from the site and the API."""

from __future__ import annotations

import re

import pytest

from undersigned.api.api import api
from undersigned.api.documentation import ERROR_CODES
from undersigned.api.errors import STATUS_CODES

pytestmark = pytest.mark.django_db


def test_every_operation_and_shape_of_the_live_schema_is_on_the_page(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f'<code dir="ltr">{path}</code>' in page, path
            assert f">{method.upper()}</span>" in page
    for name, shape in schema["components"]["schemas"].items():
        if name in {"StatementFilters", "PageQuery"}:
            continue
        assert f'id="model-{name}"' in page
        for field in shape.get("properties", {}):
            assert f'<code dir="ltr">{field}</code>' in page, (name, field)
    # Descriptions, with their Markdown code marks as code.
    assert "Pass as <code>cursor</code> for the next page" in page
    for heading in ("Errors", "Rate limits", "Caching", "Other sites (CORS)", "Pagination"):
        assert heading in page
    assert "Retry-After" in page and "If-None-Match" in page and "If-Modified-Since" in page


def test_the_error_codes_listed_are_the_codes_the_api_answers_with(client):
    page = client.get("/api/v1/docs/").content.decode()
    listed = {code for code, _status, _text in ERROR_CODES}
    assert set(STATUS_CODES.values()) <= listed
    for code in listed:
        assert f'<code dir="ltr">{code}</code>' in page


def test_the_page_loads_nothing_from_elsewhere_and_runs_no_script(client):
    response = client.get("/api/v1/docs/")
    page = response.content.decode()
    assert "<script" not in page
    assert " style=" not in page and "<style" not in page
    for address in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert address.startswith(("/", "#", "http://testserver/")), address
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy or "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_page_is_translated_and_right_to_left_in_arabic(client):
    french = client.get("/api/v1/docs/", headers={"Accept-Language": "fr"}).content.decode()
    assert "Documentation de l" in french
    arabic = client.get("/api/v1/docs/", headers={"Accept-Language": "ar"}).content.decode()
    assert 'dir="rtl"' in arabic
    # The schema's own texts stay English, marked as such.
    assert '<p class="api-operation__summary" lang="en" dir="ltr">' in arabic


def test_the_page_is_linked_from_the_footer_and_the_apis_root(client, open_statement):
    home = client.get(f"/statements/{open_statement.statement.slug}/").content.decode()
    assert 'href="/api/v1/docs/"' in home
    root = client.get("/api/v1/")
    assert root.status_code == 200
    assert root.json() == {
        "documentation": "http://testserver/api/v1/docs/",
        "openapi": "http://testserver/api/v1/openapi.json",
    }
