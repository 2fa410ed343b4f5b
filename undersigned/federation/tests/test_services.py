from __future__ import annotations

import pytest

from undersigned.core.exceptions import DomainError
from undersigned.federation.models import Federation, FederationText
from undersigned.federation.selectors import LocalisedText, federation_identity
from undersigned.federation.services import federation_update
from undersigned.testing import editor, secretariat

pytestmark = pytest.mark.django_db

ENGLISH = {"en": LocalisedText(name="Example Federation", description="A neutral sample network.")}


def update(**overrides):
    arguments = {
        "actor": None,
        "default_language": "en",
        "offered_languages": ["en", "fr"],
        "contact_email": "secretariat@example.org",
        "texts": ENGLISH,
    } | overrides
    return federation_update(**arguments)


def test_the_federation_is_one_row_whatever_the_number_of_updates():
    update()
    update(default_language="fr", texts={**ENGLISH, "fr": LocalisedText(name="Fédération Exemple", description="")})
    assert Federation.objects.count() == 1
    assert Federation.objects.get().default_language == "fr"


def test_changes_are_seen_on_the_next_page_without_waiting_for_the_cache(django_capture_on_commit_callbacks):
    update()
    assert federation_identity().text_in("en").name == "Example Federation"
    with django_capture_on_commit_callbacks(execute=True):
        update(texts={"en": LocalisedText(name="Renamed Federation", description="")})
    assert federation_identity().text_in("en").name == "Renamed Federation"


def test_text_falls_back_to_the_default_language():
    update(texts={**ENGLISH, "fr": LocalisedText(name="Fédération Exemple", description="")})
    identity = federation_identity()
    assert identity.text_in("fr").name == "Fédération Exemple"
    assert identity.text_in("ar").name == "Example Federation"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"offered_languages": []}, "no_language"),
        ({"offered_languages": ["en", "tlh"]}, "unknown_language"),
        ({"default_language": "es"}, "default_not_offered"),
        ({"texts": {"en": LocalisedText(name="  ", description="")}}, "name_required"),
        ({"texts": {**ENGLISH, "fr": LocalisedText(name="", description="Sans nom")}}, "name_required"),
        ({"contact_email": "not an address"}, "invalid_email"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(overrides, code):
    update()
    before = list(FederationText.objects.values_list("language", "name", "description"))
    with pytest.raises(DomainError) as caught:
        update(**overrides)
    assert caught.value.code == code
    federation = Federation.objects.get()
    assert (federation.default_language, federation.offered_languages) == ("en", ["en", "fr"])
    assert list(FederationText.objects.values_list("language", "name", "description")) == before


def test_texts_of_a_language_no_longer_offered_are_kept():
    update(texts={**ENGLISH, "fr": LocalisedText(name="Fédération Exemple", description="Un réseau.")})
    update(offered_languages=["en"], texts=ENGLISH)
    assert FederationText.objects.filter(language="fr", name="Fédération Exemple").exists()


def test_only_the_secretariat_edits_the_federation():
    with pytest.raises(DomainError) as caught:
        update(actor=editor())
    assert caught.value.status == 403
    assert not Federation.objects.exists()
    update(actor=secretariat())
    assert Federation.objects.exists()
