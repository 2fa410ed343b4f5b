"""Error pages never repeat what the visitor sent: not a form's values, not the query string.

A signer may be at risk; a 4xx or 500 page that echoed an address or a name would put it in a
proxy's cache, a screenshot or a shared link.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import include, path

from undersigned.signatures.tests.conftest import build_open_statement, form_data

pytestmark = pytest.mark.django_db

EMAIL = "echo.canary-7311@example.net"
NAME = "Wilhelmina Echo-Canary"
QUERY = "?" + urlencode({"email": EMAIL, "name": NAME})


def assert_repeats_nothing(response) -> None:
    content = response.content.decode()
    for value in (EMAIL, NAME):
        for form in {value, quote(value), quote(value, safe=""), quote(value).replace("%20", "+")}:
            assert form not in content, f"the {response.status_code} page repeats {form!r}"
    assert "echo.canary" not in content


def broken_view(request):
    raise RuntimeError("a fault in the code")


def forbidden_view(request):
    raise PermissionDenied


def suspicious_view(request):
    raise SuspiciousOperation("a request the site refuses")


# The site's own addresses (the pages link to them), and three that fail on purpose.
urlpatterns = [
    path("broken/", broken_view),
    path("forbidden/", forbidden_view),
    path("suspicious/", suspicious_view),
    path("", include("config.urls")),
]
handler500 = "undersigned.federation.views.server_error"


def test_the_not_found_page_repeats_no_query_value(client, site):
    response = client.get("/no-such-page/" + QUERY)
    assert response.status_code == 404
    assert_repeats_nothing(response)


@override_settings(ROOT_URLCONF=__name__)
def test_the_not_allowed_page_repeats_no_query_or_form_value(client, site):
    response = client.post("/forbidden/" + QUERY, {"email": EMAIL, "name": NAME})
    assert response.status_code == 403
    assert_repeats_nothing(response)


@override_settings(ROOT_URLCONF=__name__)
def test_the_bad_request_page_repeats_no_query_or_form_value(client, site):
    response = client.post("/suspicious/" + QUERY, {"email": EMAIL, "name": NAME})
    assert response.status_code == 400
    assert_repeats_nothing(response)


def test_a_host_the_site_does_not_serve_gets_a_bad_request_page_that_repeats_nothing(client, site):
    response = client.get("/" + QUERY, headers={"host": "elsewhere.example"})
    assert response.status_code == 400
    assert_repeats_nothing(response)


def test_the_expired_form_page_repeats_no_form_or_query_value(site):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/sign-in/" + QUERY, {"email": EMAIL, "password": NAME})
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
    assert_repeats_nothing(response)


def test_the_cross_site_page_repeats_no_form_or_query_value(libraries):
    statement = build_open_statement(libraries)
    client = Client(enforce_csrf_checks=True)
    data = form_data(statement.revision, email=EMAIL, name=NAME)
    response = client.post(statement.sign_url + QUERY, data, headers={"sec-fetch-site": "cross-site"})
    assert response.status_code == 403
    assert "Sent from another site" in response.content.decode()
    assert_repeats_nothing(response)


def test_error_pages_keep_the_language_switcher_without_the_address(client, site):
    content = client.get("/no-such-page/" + QUERY, headers={"accept-language": "fr"}).content.decode()
    assert 'href="/language/en/"' in content
    assert "Example Federation" in content


@override_settings(ROOT_URLCONF=__name__)
def test_the_server_error_page_repeats_no_form_or_query_value(client, site):
    client.raise_request_exception = False
    response = client.post("/broken/" + QUERY, {"email": EMAIL, "name": NAME})
    assert response.status_code == 500
    assert_repeats_nothing(response)
