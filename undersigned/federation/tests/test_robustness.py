"""Whatever a browser sends, pages answer without a server error."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from undersigned.federation import selectors
from undersigned.federation.models import Federation, FederationText
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update

pytestmark = pytest.mark.django_db

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accept_language=HEADER_TEXT, cookie=HEADER_TEXT.filter(lambda value: ";" not in value and "," not in value))
@example(accept_language="UK", cookie="")  # a language code in capitals, of a language the site offers
def test_any_accept_language_and_language_cookie_get_a_page(client, accept_language, cookie):
    client.cookies["language"] = cookie
    response = client.get("/", headers={"accept-language": accept_language})
    assert response.status_code == 200
    assert response.headers["Content-Language"] in {code for code, _name in django_settings.LANGUAGES}


@pytest.mark.parametrize("path", ["/", "/statements/", "/accounts/sign-in/", "/healthz"])
def test_head_requests_are_answered(client, path):
    assert client.head(path).status_code == 200


def test_head_on_the_switcher_redirects_like_get(client):
    assert client.head("/language/ar/?next=/").status_code == 302


def test_a_change_made_by_another_process_shows_within_a_second(client, monkeypatch):
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "fr"],
        contact_email="",
        texts={"en": LocalisedText(name="Example Federation", description="")},
    )
    assert "Example Federation" in client.get("/").content.decode()
    # Another app server saves a change: this process's cache is not told, the row's version is.
    FederationText.objects.filter(language="en").update(name="Renamed Elsewhere")
    Federation.objects.update(
        offered_languages=["en"], updated_at=Federation.objects.get().updated_at.replace(year=2099)
    )
    # Within the recheck interval this process still serves what it checked.
    assert "Renamed Elsewhere" not in client.get("/").content.decode()
    monkeypatch.setattr(selectors, "IDENTITY_RECHECK_SECONDS", 0)  # the interval has passed
    content = client.get("/").content.decode()
    assert "Renamed Elsewhere" in content
    assert 'hreflang="fr"' not in content
