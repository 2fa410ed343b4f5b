"""Every shipped catalogue is complete: no message untranslated or fuzzy (a fuzzy translation is
not shown, so readers would get English in the middle of their language), every plural message
with as many forms as the language has, and no placeholder a translation invents."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[3] / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _problems(path: Path) -> list[str]:
    with path.open("rb") as source:
        catalogue = read_po(source, abort_invalid=True)
    problems = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = [str(part) for part in message.id] if isinstance(message.id, tuple | list) else [str(message.id)]
        singular = ids[0]
        strings = message.string
        forms = [str(form or "") for form in strings] if isinstance(strings, tuple | list) else [str(strings or "")]
        if message.fuzzy:
            problems.append(f"fuzzy: {singular!r}")
        if not all(forms):
            problems.append(f"untranslated: {singular!r}")
        if len(ids) > 1 and len(forms) != catalogue.num_plurals:
            problems.append(f"{len(forms)} plural forms instead of {catalogue.num_plurals}: {singular!r}")
        allowed = set(PLACEHOLDER.findall(" ".join(ids)))
        for form in forms:
            invented = set(PLACEHOLDER.findall(form)) - allowed
            if invented:
                problems.append(f"placeholder {sorted(invented)} not in the original: {singular!r}")
    return problems


def test_there_are_catalogues_to_check():
    assert {path.parts[-3] for path in CATALOGUES} >= {"ar", "es", "fr"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_message_of_the_catalogue_is_translated(path: Path):
    assert _problems(path) == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_gettext_itself_accepts_the_catalogue(path: Path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (Debian's gettext) is not installed")
    checked = subprocess.run(  # noqa: S603 (a fixed program on our own files)
        [msgfmt, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 signature"),
        ("en", 2, "2 signatures"),
        ("fr", 0, "0 signature"),
        ("ar", 2, "2 توقيعان"),
        ("ar", 5, "5 توقيعات"),
        ("ar", 11, "11 توقيعًا"),
    ],
)
def test_a_number_and_its_noun_agree_in_each_language(language, count, expected):
    from django.utils import translation

    from undersigned.core.templatetags.counted import signatures

    with translation.override(language):
        assert signatures(count) == expected
