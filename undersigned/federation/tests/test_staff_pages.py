from __future__ import annotations

import pytest

from undersigned.federation.models import Federation
from undersigned.testing import editor, secretariat, staff_login

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "default_language": "en",
        "offered_languages": ["en", "es", "fr", "ar"],
        "contact_email": "secretariat@example.org",
        "name_en": "Example Federation",
        "description_en": "A neutral sample network.",
        "name_ar": "الاتحاد النموذجي",
        "description_ar": "",
    }
    data.update(overrides)
    return data


def test_secretariat_sets_up_the_site_and_visitors_see_it(client, django_capture_on_commit_callbacks):
    staff_login(client, secretariat())
    assert client.get("/staff/federation/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/federation/", form_data())
    assert response.status_code == 302
    client.logout()
    assert "الاتحاد النموذجي" in client.get("/", headers={"accept-language": "ar"}).content.decode()


def test_invalid_input_is_explained_on_the_page_and_nothing_is_changed(client):
    staff_login(client, secretariat())
    client.post("/staff/federation/", form_data())
    response = client.post(
        "/staff/federation/", form_data(default_language="es", offered_languages=["en"], name_en="Renamed")
    )
    assert response.status_code == 400
    assert "The default language must be one of the offered languages." in response.content.decode()
    assert Federation.objects.get().texts.get(language="en").name == "Example Federation"


def test_form_errors_are_shown_next_to_their_fields(client):
    staff_login(client, secretariat())
    response = client.post("/staff/federation/", form_data(contact_email="nope", default_language="xx"))
    content = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in content
    assert "Select a valid choice." in content
    assert not Federation.objects.exists()


def test_editors_may_not_edit_the_federation(client):
    staff_login(client, editor())
    assert client.get("/staff/federation/").status_code == 403
    assert client.post("/staff/federation/", form_data()).status_code == 403
    assert not Federation.objects.exists()


def test_the_secretariat_lists_the_sites_that_may_embed_the_sign_form(client, django_capture_on_commit_callbacks):
    staff_login(client, secretariat())
    origins = "https://Member.example.org/\n\n  http://127.0.0.1:8081  \nhttps://member.example.org\nhttps://[::1]:8443"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/federation/", form_data(embed_origins=origins))
    assert response.status_code == 302
    assert Federation.objects.get().embed_origins == [
        "https://member.example.org",
        "http://127.0.0.1:8081",
        "https://[::1]:8443",
    ]
    page = client.get("/staff/federation/").content.decode()
    assert "https://member.example.org\nhttp://127.0.0.1:8081\nhttps://[::1]:8443</textarea>" in page


@pytest.mark.parametrize(
    "line",
    [
        "member.example.org",
        "ftp://member.example.org",
        "https://member.example.org/news/",
        "https://member.example.org?x=1",
        "https://*.example.org",
        "https://member.example.org; script-src *",
        "https://user@member.example.org",
        "https://member.example.org:99999",
        "'self'",
        "https://",
    ],
)
def test_a_line_that_is_not_a_site_address_is_named_and_nothing_is_saved(client, line):
    staff_login(client, secretariat())
    response = client.post("/staff/federation/", form_data(embed_origins=f"https://ok.example.org\n{line}"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "is not a site address of the form https://example.org" in content
    assert not Federation.objects.exists()


def test_every_bad_line_is_named(client):
    staff_login(client, secretariat())
    response = client.post("/staff/federation/", form_data(embed_origins="one.example\ntwo.example"))
    content = response.content.decode()
    assert "“one.example” is not a site address" in content
    assert "“two.example” is not a site address" in content
