from __future__ import annotations

import pytest

from undersigned.commissions.models import Commission, CommissionText
from undersigned.commissions.selectors import commission_list_localised
from undersigned.commissions.services import CommissionTextInput, commission_create, commission_update
from undersigned.core.exceptions import DomainError
from undersigned.testing import CommissionFactory, editor, secretariat

pytestmark = pytest.mark.django_db

LIBRARIES = {"en": CommissionTextInput(name="Commission on Public Libraries", mandate="Opening hours.")}


def test_a_commission_is_created_with_its_texts():
    commission = commission_create(actor=secretariat(), slug="Public-Libraries", texts=LIBRARIES)
    assert commission.slug == "public-libraries"
    assert commission.texts.get().name == "Commission on Public Libraries"


@pytest.mark.parametrize(
    ("slug", "texts", "code"),
    [
        ("with spaces", LIBRARIES, "invalid_slug"),
        ("", LIBRARIES, "invalid_slug"),
        ("x" * 81, LIBRARIES, "invalid_slug"),
        ("ok", {}, "name_required"),
        ("ok", {"en": CommissionTextInput(name="", mandate="")}, "name_required"),
        ("ok", {"en": CommissionTextInput(name="", mandate="A mandate without a name")}, "name_required"),
    ],
)
def test_bad_input_creates_nothing(slug, texts, code):
    with pytest.raises(DomainError) as caught:
        commission_create(actor=None, slug=slug, texts=texts)
    assert caught.value.code == code
    assert not Commission.objects.exists()
    assert not CommissionText.objects.exists()


def test_short_names_are_unique():
    commission_create(actor=None, slug="libraries", texts=LIBRARIES)
    with pytest.raises(DomainError) as caught:
        commission_create(actor=None, slug="libraries", texts=LIBRARIES)
    assert caught.value.code == "slug_taken"
    assert Commission.objects.count() == 1


def test_a_rejected_update_leaves_the_commission_as_it_was():
    commission = commission_create(actor=None, slug="libraries", texts=LIBRARIES)
    CommissionFactory.create(slug="mobility")
    with pytest.raises(DomainError):
        commission_update(
            actor=None,
            commission=commission,
            slug="libraries",
            texts={"en": CommissionTextInput(name="", mandate="")},
        )
    with pytest.raises(DomainError):
        commission_update(actor=None, commission=commission, slug="mobility", texts=LIBRARIES)
    commission.refresh_from_db()
    assert commission.slug == "libraries"
    assert commission.texts.get().name == "Commission on Public Libraries"


def test_texts_in_languages_left_out_of_an_update_are_kept():
    commission = commission_create(
        actor=None,
        slug="libraries",
        texts={**LIBRARIES, "ti": CommissionTextInput(name="ኮሚሽን ቤተ-መጻሕፍቲ", mandate="")},
    )
    commission_update(
        actor=None,
        commission=commission,
        slug="libraries",
        texts={"en": CommissionTextInput(name="Libraries", mandate="")},
    )
    assert sorted(commission.texts.values_list("language", "name")) == [("en", "Libraries"), ("ti", "ኮሚሽን ቤተ-መጻሕፍቲ")]


def test_only_the_secretariat_manages_commissions():
    with pytest.raises(DomainError) as caught:
        commission_create(actor=editor(), slug="libraries", texts=LIBRARIES)
    assert caught.value.status == 403


def test_editors_see_only_their_own_commissions():
    libraries = commission_create(actor=None, slug="libraries", texts=LIBRARIES)
    commission_create(actor=None, slug="mobility", texts={"en": CommissionTextInput(name="Mobility", mandate="")})
    eli = editor(libraries)
    listed = commission_list_localised(language="en", default_language="en", member=eli)
    assert [summary.slug for summary in listed] == ["libraries"]
    everything = commission_list_localised(language="en", default_language="en", member=secretariat())
    assert len(everything) == 2


def test_a_member_has_one_role_per_commission():
    from undersigned.commissions.models import CommissionMembership
    from undersigned.commissions.services import commission_member_add
    from undersigned.testing import UserFactory

    commission = commission_create(actor=None, slug="libraries", texts=LIBRARIES)
    person = UserFactory.create()
    commission_member_add(actor=None, commission=commission, user=person, role=CommissionMembership.Role.TRANSLATOR)
    commission_member_add(actor=None, commission=commission, user=person, role=CommissionMembership.Role.EDITOR)
    assert list(CommissionMembership.objects.values_list("role", flat=True)) == ["editor"]
    with pytest.raises(DomainError):
        commission_member_add(actor=editor(), commission=commission, user=person, role=CommissionMembership.Role.EDITOR)
