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
