from __future__ import annotations

import pytest

from undersigned.accounts.models import User
from undersigned.accounts.services import staff_user_create
from undersigned.core.exceptions import DomainError
from undersigned.testing import TEST_PASSWORD, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2():
    user = staff_user_create(email="Ana@Example.org", full_name="Ana", password="a long enough passphrase 42")
    assert user.email == "ana@example.org"
    assert user.password.startswith("argon2$")
    assert user.check_password("a long enough passphrase 42")


@pytest.mark.parametrize(
    ("email", "name", "password", "code"),
    [
        ("not-an-email", "Ana", "a long enough passphrase 42", "invalid_email"),
        ("ana@example.org", "  ", "a long enough passphrase 42", "name_required"),
        ("ana@example.org", "Ana", "short", "weak_password"),
        ("ana@example.org", "Ana", "password123456", "weak_password"),
    ],
)
def test_staff_accounts_refuse_bad_input(email, name, password, code):
    with pytest.raises(DomainError) as caught:
        staff_user_create(email=email, full_name=name, password=password)
    assert caught.value.code == code
    assert not User.objects.exists()


def test_one_account_per_address_whatever_its_case():
    staff_user_create(email="ana@example.org", full_name="Ana", password="a long enough passphrase 42")
    with pytest.raises(DomainError) as caught:
        staff_user_create(email="ANA@example.org", full_name="Ana Two", password="another long passphrase 42")
    assert caught.value.code == "email_taken"
    assert User.objects.get().full_name == "Ana"


def test_sign_in_with_any_case_of_the_address_leads_to_the_workspace(client):
    secretariat()
    response = client.post("/accounts/sign-in/", {"username": "SAM@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    # The secretariat sees personal data: a second factor is set up before the workspace opens.
    assert client.get("/staff/").headers["Location"].startswith("/accounts/second-factor/set-up/")


def test_wrong_password_gets_a_message_on_the_page(client):
    secretariat()
    response = client.post("/accounts/sign-in/", {"username": "sam@example.org", "password": "wrong"})
    assert response.status_code == 200
    assert "do not match an active staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_malformed_sign_in_form_gets_a_message(client):
    response = client.post("/accounts/sign-in/", {"username": "not an address", "password": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter a valid email address" in content
    assert "This field is required" in content


def test_sign_in_never_redirects_off_site(client):
    secretariat()
    response = client.post(
        "/accounts/sign-in/?next=https://elsewhere.example/",
        {"username": "sam@example.org", "password": TEST_PASSWORD, "next": "https://elsewhere.example/"},
    )
    assert response.headers["Location"] == "/staff/"


def test_sign_out_is_a_post_not_a_link(client):
    staff_login(client, editor())
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.post("/accounts/sign-out/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_workspace_asks_visitors_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/sign-in/?next=/staff/")


def test_sign_in_page_speaks_the_readers_language(client):
    content = client.get("/accounts/sign-in/", headers={"accept-language": "es"}).content.decode()
    assert '<html lang="es" dir="ltr">' in content
    assert "Iniciar sesión" in content or "Inicio de sesión" in content


def test_a_signed_in_user_sent_back_to_sign_in_does_not_loop(client):
    staff_login(client, secretariat())
    response = client.get("/accounts/sign-in/?next=/accounts/sign-in/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_admin_sign_in_goes_through_the_staff_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/sign-in/?next=/admin/"
    staff_login(client, editor())
    # Staff without admin access are not sent round between the admin and the sign-in page.
    response = client.get("/accounts/sign-in/?next=/admin/")
    assert response.headers["Location"] == "/staff/"


def test_repeated_failures_slow_down_guessing(client):
    secretariat()
    for _attempt in range(10):
        client.post("/accounts/sign-in/", {"username": "sam@example.org", "password": "guess"})
    response = client.post("/accounts/sign-in/", {"username": "sam@example.org", "password": TEST_PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_stores_addresses_in_lower_case(client):
    admin = secretariat(is_staff=True, is_superuser=True)
    staff_login(client, admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New@Example.org",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="new@example.org").exists()


def test_the_sign_in_page_is_named_after_the_federation_not_the_host(client, site):
    from undersigned.federation.selectors import federation_identity

    page = client.get("/accounts/sign-in/").content.decode()
    name = federation_identity().text_in("en").name
    assert f"Staff sign-in · {name}" in page
    assert "Staff sign-in · testserver" not in page
