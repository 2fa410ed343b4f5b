from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from undersigned.accounts.models import User
from undersigned.actions.models import SolidarityAction
from undersigned.commissions.models import Commission, CommissionMembership, CommissionText
from undersigned.federation.models import Federation, FederationText

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": list(User.objects.order_by("email").values_list("email", "password", "is_secretariat")),
        "federation": list(Federation.objects.values_list("default_language", "offered_languages", "contact_email")),
        "federation_texts": list(FederationText.objects.order_by("language").values_list("language", "name")),
        "commissions": list(Commission.objects.values_list("slug", flat=True)),
        "commission_texts": list(CommissionText.objects.order_by("id").values_list("language", "name", "mandate")),
        "memberships": list(CommissionMembership.objects.values_list("user__email", "commission__slug", "role")),
        "actions": list(
            SolidarityAction.objects.order_by("pk").values_list("organisation_name", "kind", "status", "description")
        ),
    }


@override_settings(DEBUG=True)
def test_demo_data_loads_and_loading_again_changes_nothing(capsys):
    call_command("load_demo")
    first = snapshot()
    printed = capsys.readouterr().out
    assert "secretariat@example.org" in printed
    assert "editor@example.org" in printed
    assert len(first["commissions"]) == 2
    assert {language for language, _name in first["federation_texts"]} == {code for code, _ in settings.LANGUAGES}
    assert sorted((kind, status) for _name, kind, status, _text in first["actions"]) == [
        ("forum", "approved"),
        ("other", "approved"),
        ("republication", "approved"),
        ("vigil", "awaiting"),
    ]

    call_command("load_demo")
    assert snapshot() == first
    assert "password unchanged" in capsys.readouterr().out


@override_settings(DEBUG=True)
def test_printed_demo_passwords_sign_in(client, capsys):
    call_command("load_demo")
    printed = capsys.readouterr().out
    for line in printed.splitlines():
        if "password:" in line:
            email = line.split()[1]
            password = line.split("password:")[1].split()[0]
            client.logout()
            response = client.post("/accounts/sign-in/", {"username": email, "password": password})
            assert response.status_code == 302, email
            # … and the printed second factor opens the workspace: a backup code, then the app's key.
            code = printed.split("backup codes ")[1].split(",")[0]
            assert client.post("/accounts/second-factor/", {"code": code}).status_code == 302, email
            assert client.get("/staff/").status_code == 200, email
    key = printed.split("Second factor of both: key ")[1].split()[0]
    from undersigned.accounts.tests.browser import code_for_secret

    client.logout()
    client.post("/accounts/sign-in/", {"username": email, "password": password})
    assert client.post("/accounts/second-factor/", {"code": code_for_secret(key)}).status_code == 302


def test_demo_data_refuses_to_load_on_a_live_site():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
    assert not User.objects.exists()
