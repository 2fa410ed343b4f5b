from __future__ import annotations

import pytest

from undersigned.commissions.models import Commission
from undersigned.testing import CommissionTextFactory, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db


def test_secretariat_creates_and_renames_a_commission(client):
    staff_login(client, secretariat())
    response = client.post(
        "/staff/commissions/new/",
        {
            "slug": "libraries",
            "name_en": "Commission on Public Libraries",
            "mandate_en": "Opening hours.",
            "name_ar": "لجنة المكتبات العامة",
        },
    )
    assert response.status_code == 302
    assert "Commission on Public Libraries" in client.get("/staff/commissions/").content.decode()
    response = client.post("/staff/commissions/libraries/", {"slug": "reading", "name_en": "Commission on Reading"})
    assert response.status_code == 302
    commission = Commission.objects.get()
    assert commission.slug == "reading"
    assert sorted(commission.texts.values_list("language", flat=True)) == ["en"]


def test_a_taken_short_name_is_explained_next_to_the_field(client):
    CommissionTextFactory.create(commission__slug="libraries")
    staff_login(client, secretariat())
    response = client.post("/staff/commissions/new/", {"slug": "libraries", "name_en": "Another"})
    assert response.status_code == 400
    assert "Another commission already uses this short name." in response.content.decode()
    assert Commission.objects.count() == 1


def test_a_commission_needs_a_name(client):
    staff_login(client, secretariat())
    response = client.post("/staff/commissions/new/", {"slug": "nameless", "mandate_fr": "Un mandat"})
    assert response.status_code == 400
    assert "or clear its mandate too" in response.content.decode()
    assert not Commission.objects.exists()


def test_editors_cannot_manage_commissions(client):
    text = CommissionTextFactory.create()
    staff_login(client, editor(text.commission))
    assert client.get("/staff/commissions/").status_code == 403
    assert client.post("/staff/commissions/new/", {"slug": "x", "name_en": "X"}).status_code == 403
    assert client.get(f"/staff/commissions/{text.commission.slug}/").status_code == 403


def test_unknown_commission_is_not_found(client):
    staff_login(client, secretariat())
    assert client.get("/staff/commissions/no-such-commission/").status_code == 404


def test_editor_workspace_lists_their_commission(client):
    text = CommissionTextFactory.create(name="Commission on Public Libraries")
    staff_login(client, editor(text.commission))
    content = client.get("/staff/").content.decode()
    assert "Commission on Public Libraries" in content
    assert "Federation details" not in content


def test_secretariat_lets_a_commissions_members_endorse_without_review(client):
    CommissionTextFactory.create(commission__slug="libraries")
    staff_login(client, secretariat())
    page = client.get("/staff/commissions/libraries/").content.decode()
    assert 'name="members_skip_review"' in page and "checked" not in page.split('name="members_skip_review"')[1][:40]
    data = {"slug": "libraries", "name_en": "Commission on Public Libraries", "members_skip_review": "on"}
    assert client.post("/staff/commissions/libraries/", data).status_code == 302
    assert Commission.objects.get().members_skip_review
    del data["members_skip_review"]
    assert client.post("/staff/commissions/libraries/", data).status_code == 302
    assert not Commission.objects.get().members_skip_review
