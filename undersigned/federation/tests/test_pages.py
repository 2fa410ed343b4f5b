from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import path

from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update

pytestmark = pytest.mark.django_db


def html_root(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', response.content.decode())
    assert match, "the page has no <html lang dir>"
    return match.group(1), match.group(2)


@pytest.fixture
def federation():
    return federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={
            "en": LocalisedText(name="Example Federation", description="A neutral sample network."),
            "ar": LocalisedText(name="الاتحاد النموذجي", description="شبكة نموذجية."),
        },
    )


def test_home_page_has_an_honest_empty_state_on_a_new_site(client):
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "No statement has been published yet" in content
    assert "has not been set up yet" in content


def test_home_page_shows_the_federation_and_its_commissions_in_the_readers_language(client, federation):
    commission_create(
        actor=None,
        slug="public-libraries",
        texts={
            "en": CommissionTextInput(name="Commission on Public Libraries", mandate="Opening hours."),
            "ar": CommissionTextInput(name="لجنة المكتبات العامة", mandate="ساعات العمل."),
        },
    )
    commission_create(
        actor=None,
        slug="urban-mobility",
        texts={"en": CommissionTextInput(name="Commission on Urban Mobility", mandate="")},
    )
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert "Example Federation" in english
    assert "Commission on Public Libraries" in english

    arabic = client.get("/", headers={"accept-language": "ar"})
    content = arabic.content.decode()
    assert html_root(arabic) == ("ar", "rtl")
    assert "الاتحاد النموذجي" in content
    assert "لجنة المكتبات العامة" in content
    # A commission with no Arabic text falls back to the default language and says so in its markup.
    assert '<li class="card" lang="en" dir="ltr">' in content


def test_home_page_query_count_does_not_grow_with_commissions(client, federation, django_assert_max_num_queries):
    for number in range(12):
        commission_create(
            actor=None, slug=f"c-{number}", texts={"en": CommissionTextInput(name=f"Commission {number}", mandate="")}
        )
    client.get("/")  # warm the identity cache
    # The identity's version, commissions and their texts, and the (empty) statement list.
    with django_assert_max_num_queries(4):
        client.get("/")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar", ("ar", "rtl")),
        ("es-MX,es;q=0.9", ("es", "ltr")),
        ("fr-CA", ("fr", "ltr")),
        ("de-DE,xx;q=0.8", ("en", "ltr")),
        ("*", ("en", "ltr")),
        (";;;q=abc,,", ("en", "ltr")),
        ("", ("en", "ltr")),
    ],
)
def test_interface_language_is_negotiated_and_unknown_codes_fall_back(client, federation, header, expected):
    response = client.get("/", headers={"accept-language": header})
    assert response.status_code == 200
    assert html_root(response) == expected
    assert response.headers["Content-Language"] == expected[0]


def test_switcher_choice_wins_over_accept_language(client, federation):
    response = client.get("/language/ar/", {"next": "/?page=2"}, headers={"accept-language": "fr"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?page=2"
    assert client.get("/", headers={"accept-language": "fr"}).headers["Content-Language"] == "ar"


@pytest.mark.parametrize("code", ["xx", "de", "AR", "e" * 40, "%00"])
def test_switching_to_an_unknown_language_falls_back_without_error(client, federation, code):
    client.cookies["language"] = "es"
    response = client.get(f"/language/{code}/", {"next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert html_root(page) == ("en", "ltr")


def test_language_not_offered_by_the_federation_is_not_served(client):
    federation_update(
        actor=None,
        default_language="fr",
        offered_languages=["fr", "en"],
        contact_email="",
        texts={"fr": LocalisedText(name="Fédération Exemple", description="")},
    )
    assert html_root(client.get("/", headers={"accept-language": "ar"})) == ("fr", "ltr")
    client.cookies["language"] = "ar"
    assert html_root(client.get("/")) == ("fr", "ltr")


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)"])
def test_switcher_never_redirects_off_site(client, next_url):
    response = client.get("/language/fr/", {"next": next_url})
    assert response.headers["Location"] == "/"


def test_switcher_links_carry_the_current_page(client, federation):
    content = client.get("/?a=1").content.decode()
    assert 'href="/language/ar/?next=%2F%3Fa%3D1"' in content
    assert 'lang="ar" dir="rtl"' in content


@pytest.mark.parametrize(
    ("language", "title", "direction"),
    [
        ("en", "Page not found", "ltr"),
        ("es", "Página no encontrada", "ltr"),
        ("fr", "Page introuvable", "ltr"),
        ("ar", "الصفحة غير موجودة", "rtl"),
    ],
)
def test_not_found_page_in_every_interface_language(client, federation, language, title, direction):
    response = client.get("/no-such-page/", headers={"accept-language": language})
    assert response.status_code == 404
    assert html_root(response) == (language, direction)
    assert title in response.content.decode()


def broken_view(request):
    raise RuntimeError("secret detail that must not leak")


urlpatterns = [path("broken/", broken_view)]
handler500 = "undersigned.federation.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("language", "title", "direction"),
    [
        ("en", "Something went wrong", "ltr"),
        ("es", "Algo salió mal", "ltr"),
        ("fr", "Un problème est survenu", "ltr"),
        ("ar", "حدث خطأ ما", "rtl"),
    ],
)
def test_server_error_page_in_every_interface_language_without_details(client, federation, language, title, direction):
    client.raise_request_exception = False
    response = client.get("/broken/", headers={"accept-language": language})
    assert response.status_code == 500
    content = response.content.decode()
    assert html_root(response) == (language, direction)
    assert title in content
    assert "secret detail" not in content
    assert "Traceback" not in content
    assert "SECRET_KEY" not in content


def test_an_expired_form_gets_a_translated_page_not_a_bare_error(federation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/sign-in/", {"username": "a@example.org"}, headers={"accept-language": "ar"})
    assert response.status_code == 403
    assert html_root(response) == ("ar", "rtl")
    assert "انتهت صلاحية النموذج" in response.content.decode()


def test_a_request_for_an_unknown_host_gets_the_bad_request_page(client, federation):
    response = client.get("/", headers={"host": "elsewhere.example", "accept-language": "fr"})
    assert response.status_code == 400
    assert html_root(response) == ("fr", "ltr")
    assert "Requête incorrecte" in response.content.decode()
