"""Behaviours found missing in review, kept from coming back."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime, timedelta

import pytest

from undersigned.core.exceptions import DomainError
from undersigned.statements.importer import ImportRefusedError, parse_press_release
from undersigned.statements.models import Statement, StatementText
from undersigned.statements.services import (
    TextInput,
    slug_from_title,
    statement_import,
    statement_set_window,
    text_publish,
    text_save,
    translation_add,
)
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import ARABIC, PRESS_RELEASE
from undersigned.testing import staff_login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"), [("ar", date(2023, 10, 12)), ("sw", date(2023, 10, 12)), ("en", date(2023, 12, 10))]
)
def test_numeric_dates_follow_the_languages_order(language, expected):
    parsed = parse_press_release("Title\n\n12/10/2023\n\nBody.", language=language)
    assert parsed.dateline_date == expected


@pytest.mark.parametrize(
    ("line", "place"),
    [
        ("Washington, D.C., March 12, 2025 —", "Washington, D.C."),
        ("SAINT-DENIS (93), 12 March 2025 —", "SAINT-DENIS (93)"),
    ],
)
def test_places_may_hold_commas_and_digits(line, place):
    parsed = parse_press_release(f"Title\n\n{line}\n\nBody.", language="en")
    assert (parsed.dateline_date, parsed.dateline_place) == (date(2025, 3, 12), place)


def test_end_marks_glued_to_the_last_word_are_removed():
    parsed = parse_press_release("Title\n\nOne.\n\nWe call on you.###", language="en")
    assert parsed.call_to_action == "We call on you."


@pytest.mark.parametrize("opening", ["The mayor said: “We will act now”", "Why does this matter?", "短い段落です。"])
def test_sentences_are_paragraphs_not_headline_calls(opening):
    parsed = parse_press_release(f"Title\n\n{opening}\n\nSecond.\n\nThird.", language="en")
    assert parsed.headline_calls == []
    assert parsed.paragraphs[0] == opening


@pytest.mark.parametrize("title", ["\u200b", "\u200f\u200e", " \u00a0 "])
def test_invisible_lines_are_blank_and_never_a_title(libraries, title):
    parsed = parse_press_release(f"{title}\n\nThe title\n\nOne.\n\nTwo.", language="en")
    assert parsed.title == "The title"
    with pytest.raises(ImportRefusedError):
        parse_press_release(f"{title}\n\n{title}\n", language="en")
    statement = published_statement(libraries, translations=())
    text = statement.texts.get()
    text.statement = statement
    with pytest.raises(DomainError) as refused:
        text_save(actor=None, text=text, values=TextInput(title=title, body="Body."))
    assert refused.value.code == "title_required"


def test_a_title_in_another_script_makes_its_short_name_in_latin_letters(libraries):
    statement = statement_import(actor=None, commission=libraries, language="ar", source=ARABIC)
    assert statement.slug and statement.slug.isascii() and slug_from_title(ARABIC.split("\n")[0]) == statement.slug
    assert slug_from_title("Заявление о библиотеках") == "zayavlenie-o-bibliotekakh"
    # The editor's own short name wins.
    assert statement_import(actor=None, commission=libraries, language="ar", source=ARABIC, slug="maktabat").pk


def test_a_title_with_nothing_to_write_in_an_address_asks_for_a_short_name(libraries):
    with pytest.raises(DomainError) as refused:
        statement_import(actor=None, commission=libraries, language="en", source="!!! ???\n\nThe body.")
    assert refused.value.code == "slug_required"


def test_regional_language_codes_are_stored_in_one_form(libraries):
    statement = statement_import(actor=None, commission=libraries, language="pt-BR", source=PRESS_RELEASE)
    assert statement.original_language == "pt-br"
    with pytest.raises(DomainError):
        statement_import(actor=None, commission=libraries, language="pt-XX-YY-ZZ", source=PRESS_RELEASE, slug="x")


def test_an_import_with_a_window_in_the_wrong_order_stores_nothing(client, libraries):
    from undersigned.testing import editor

    staff_login(client, editor(libraries))
    response = client.post(
        "/staff/statements/new/",
        {
            "commission": "public-libraries",
            "language": "en",
            "source": PRESS_RELEASE,
            "opens_at": "2025-03-02T10:00",
            "closes_at": "2025-03-01T10:00",
        },
    )
    assert response.status_code == 400
    assert "Sign-on must close after it opens." in response.content.decode()
    assert not Statement.objects.exists()


def test_a_reader_gets_a_text_in_a_language_the_interface_does_not_have(client, libraries):
    statement = published_statement(libraries, translations=())
    german = translation_add(
        actor=None, statement=statement, language="de", text=TextInput(title="Erklärung", body="Text.")
    )
    german.statement = statement
    text_publish(actor=None, text=german)
    content = client.get("/statements/library-opening-hours/", headers={"accept-language": "de-DE,de;q=0.9"}).content
    assert '<article class="statement" lang="de" dir="ltr">' in content.decode()


def test_the_hash_can_be_checked_from_public_data(client, libraries):
    statement = published_statement(libraries, translations=("ar",))
    revision = statement.texts.get(language="ar").published_revision
    response = client.get("/statements/library-opening-hours/ar/history/1/canonical.json")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == revision.sha256
    assert revision.sha256 in client.get("/statements/library-opening-hours/ar/").content.decode()


def test_feeds_say_the_language_of_their_texts(client, libraries):
    published_statement(libraries, translations=("ar",))
    feed = ElementTree.fromstring(client.get("/feeds/public-libraries/ar.atom").content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"


def test_not_yet_open_statements_are_not_listed_as_closed(client, libraries):
    statement = published_statement(libraries, translations=())
    later = datetime.now(tz=UTC) + timedelta(days=3)
    statement_set_window(actor=None, statement=statement, opens_at=later, closes_at=later + timedelta(days=3))
    assert "library-opening-hours" not in client.get("/statements/?state=closed").content.decode()
    assert "library-opening-hours" not in client.get("/statements/?state=open").content.decode()


def test_saving_the_published_text_unchanged_leaves_nothing_to_publish(libraries):
    statement = published_statement(libraries, translations=())
    text = statement.texts.get()
    text.statement = statement
    same = TextInput(
        title=text.title,
        body=text.body,
        dateline_date=text.dateline_date,
        dateline_place=text.dateline_place,
        headline_calls=text.headline_calls,
        call_to_action=text.call_to_action,
    )
    text_save(actor=None, text=text, values=same)
    assert not StatementText.objects.get(pk=text.pk).has_unpublished_changes
