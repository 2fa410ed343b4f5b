from __future__ import annotations

import pytest
from babel import Locale

from undersigned.core.languages import native_language_name


@pytest.mark.parametrize(
    ("code", "native"),
    [
        ("eu", "euskara"),  # Django's table says "Basque"
        ("km", "ខ្មែរ"),  # Django's table says "Khmer"
        ("fr", "français"),
        ("ar", "العربية"),
        ("fa", "فارسی"),
        ("tl", "Tagalog"),  # an alias of Filipino in the CLDR, still named as asked
        ("pt-br", "português (Brasil)"),
    ],
)
def test_languages_are_named_in_themselves(code, native):
    assert native_language_name(code) == native


def test_no_language_takes_the_english_name_from_django_s_table_when_it_has_its_own():
    from django.conf.locale import LANG_INFO

    from undersigned.core.languages import content_language_codes

    english_in_django = [
        code
        for code, info in LANG_INFO.items()
        if "name_local" in info and info["name_local"] == info["name"] and code in content_language_codes()
    ]
    assert "eu" in english_in_django  # the table still has such names: the test checks something
    still_english = [
        code
        for code in english_in_django
        if native_language_name(code) == LANG_INFO[code]["name"]
        and native_language_name(code).lower() != str(Locale.parse(code).display_name).lower()
    ]
    assert still_english == []
