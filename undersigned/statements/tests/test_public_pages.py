from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from undersigned.statements.models import StatementText
from undersigned.statements.services import TextInput, statement_withdraw, text_publish, text_save
from undersigned.statements.tests.builders import published_statement

pytestmark = pytest.mark.django_db


def article(content: str) -> tuple[str, str]:
    match = re.search(r'<article class="statement" lang="([^"]+)" dir="([^"]+)">', content)
    assert match, "no statement article on the page"
    return match.group(1), match.group(2)


def test_reader_gets_the_text_in_their_language(client, libraries):
    published_statement(libraries, translations=("fr", "ar"))
    content = client.get("/statements/library-opening-hours/", headers={"accept-language": "fr"}).content.decode()
    assert article(content) == ("fr", "ltr")
    assert "Déclaration sur les horaires des bibliothèques" in content
    assert "LYON, 12 mars 2025" in content
    assert "Traduction" in content or "Translation" in content
    assert "no translation" not in content


def test_an_arabic_text_is_right_to_left_inside_an_english_interface(client, libraries):
    published_statement(libraries, translations=("ar",))
    response = client.get("/statements/library-opening-hours/ar/", headers={"accept-language": "en"})
    content = response.content.decode()
    assert '<html lang="en" dir="ltr">' in content
    assert article(content) == ("ar", "rtl")


def test_a_missing_translation_falls_back_to_the_original_with_a_notice(client, libraries):
    published_statement(libraries, translations=("fr",))
    content = client.get("/statements/library-opening-hours/", headers={"accept-language": "es"}).content.decode()
    assert article(content) == ("en", "ltr")
    assert '<p class="notice" role="note">' in content
    assert "español" in content[content.index('role="note"') :]


def test_accept_language_beyond_the_interface_languages_picks_the_text(client, libraries):
    published_statement(libraries, translations=("ar",))
    # Tigrinya is not an interface language; Arabic, the reader's second choice, is a text language.
    content = client.get("/statements/library-opening-hours/", headers={"accept-language": "ti, ar;q=0.8"}).content
    assert article(content.decode()) == ("ar", "rtl")


def test_every_published_translation_is_listed_and_drafts_are_not(client, libraries):
    statement = published_statement(libraries, translations=("fr",))
    from undersigned.statements.services import translation_add

    translation_add(actor=None, statement=statement, language="es", text=TextInput(title="Borrador", body="Texto."))
    content = client.get("/statements/library-opening-hours/").content.decode()
    assert 'href="/statements/library-opening-hours/fr/"' in content
    assert "/statements/library-opening-hours/es/" not in content
    assert client.get("/statements/library-opening-hours/es/").status_code == 404


def test_drafts_are_not_public(client, libraries):
    from undersigned.statements.services import statement_import
    from undersigned.statements.tests.conftest import PRESS_RELEASE

    statement_import(actor=None, commission=libraries, slug="draft", language="en", source=PRESS_RELEASE)
    assert client.get("/statements/draft/").status_code == 404
    assert "draft" not in client.get("/statements/").content.decode()


def test_the_page_shows_the_revision_hash_and_sharing_meta(client, libraries):
    statement = published_statement(libraries, translations=())
    revision = statement.texts.get().published_revision
    content = client.get("/statements/library-opening-hours/").content.decode()
    assert revision.sha256 in content
    assert '<meta property="og:title" content="Statement on Library Opening Hours">' in content
    assert '<meta name="twitter:card" content="summary_large_image">' in content
    # Scripts come only from this site's own static files, never inline or from elsewhere.
    for tag in re.findall(r"<script[^>]*>", content):
        assert 'src="/static/' in tag


def test_revision_history_and_word_diff(client, libraries):
    statement = published_statement(libraries, translations=())
    text = statement.texts.get()
    text.statement = statement
    edited = TextInput(
        title=text.title,
        body=text.body.replace("in the evening", "in the evening and on Sundays"),
        dateline_date=text.dateline_date,
        headline_calls=text.headline_calls,
        call_to_action=text.call_to_action,
    )
    text = text_save(actor=None, text=text, values=edited)
    text.statement = statement
    text_publish(actor=None, text=text, change_note="Adds Sundays.")
    history = client.get("/statements/library-opening-hours/en/history/").content.decode()
    assert "Adds Sundays." in history
    assert "First publication." in history
    diff = client.get("/statements/library-opening-hours/en/history/2/").content.decode()
    assert "<ins>and</ins>" in diff or "<ins> and on Sundays</ins>" in diff or "<ins>" in diff
    assert "Sundays" in diff
    assert client.get("/statements/library-opening-hours/en/history/3/").status_code == 404
    page = client.get("/statements/library-opening-hours/").content.decode()
    assert "Revision 2" in page


def test_markdown_is_sanitised(client, libraries):
    statement = published_statement(libraries, translations=())
    text = statement.texts.get()
    text.statement = statement
    hostile = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) and [site](https://example.org)\n\n"
        '<img src=x onerror="alert(1)"> <b style="color:red">bold</b>'
    )
    text = text_save(actor=None, text=text, values=TextInput(title=text.title, body=hostile))
    text.statement = statement
    text_publish(actor=None, text=text, change_note="Test.")
    content = client.get("/statements/library-opening-hours/").content.decode()
    body = content[content.index('<div class="statement__body">') :]
    body = body[: body.index("</div>")]
    assert "<script" not in body
    assert 'href="javascript' not in body
    assert "<img" not in body
    assert "<b style" not in body
    assert "&lt;script&gt;" in body  # shown as the text it is, not run
    assert '<a href="https://example.org" rel="nofollow noopener">site</a>' in body


def test_withdrawn_statements_say_so_and_leave_the_index(client, libraries):
    statement = published_statement(libraries, translations=())
    statement_withdraw(actor=None, statement=statement)
    content = client.get("/statements/library-opening-hours/").content.decode()
    assert "withdrawn" in content
    assert "library-opening-hours" not in client.get("/statements/").content.decode()


def test_index_filters_and_paginates(client, libraries, mobility, django_assert_max_num_queries):
    for number in range(23):
        published_statement(libraries if number % 2 else mobility, slug=f"s-{number}", translations=())
    client.get("/statements/")
    with django_assert_max_num_queries(8):
        first = client.get("/statements/").content.decode()
    assert first.count('class="statement-card"') == 20
    second = client.get("/statements/?page=2").content.decode()
    assert second.count('class="statement-card"') == 3
    only_mobility = client.get("/statements/?body=urban-mobility").content.decode()
    assert only_mobility.count('class="statement-card"') == 12
    assert client.get("/statements/?body=federation").content.decode().count('class="statement-card"') == 0
    assert client.get("/statements/?state=closed").content.decode().count('class="statement-card"') == 0


@pytest.mark.parametrize(
    "query",
    ["?page=999", "?page=-1", "?page=abc", "?body=nope", "?language=%00", "?state=maybe", "?language=" + "x" * 500],
)
def test_index_survives_any_query(client, libraries, query):
    published_statement(libraries, translations=())
    assert client.get("/statements/" + query).status_code == 200


def test_home_lists_published_statements(client, libraries, django_assert_max_num_queries):
    for number in range(3):
        published_statement(libraries, slug=f"s-{number}", translations=("fr",))
    client.get("/")
    with django_assert_max_num_queries(7):
        content = client.get("/", headers={"accept-language": "fr"}).content.decode()
    assert content.count('class="statement-card"') == 3
    assert "Déclaration sur les horaires des bibliothèques" in content


def test_atom_feed_per_issuing_body_and_language(client, libraries, mobility):
    published_statement(libraries, translations=("fr",))
    published_statement(mobility, slug="cycling", translations=())
    response = client.get("/feeds/public-libraries/fr.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in entries] == [
        "Déclaration sur les horaires des bibliothèques"
    ]
    assert (
        len(
            ElementTree.fromstring(client.get("/feeds/all/en.atom").content).findall(
                "{http://www.w3.org/2005/Atom}entry"
            )
        )
        == 2
    )
    assert client.get("/feeds/nobody/en.atom").status_code == 404
    assert client.get("/feeds/all/zz.atom").status_code == 404


def test_status_of_texts_not_public_until_published(libraries):
    statement = published_statement(libraries, translations=())
    assert statement.texts.get().status == StatementText.Status.PUBLISHED


def test_statement_page_queries_do_not_grow_with_translations(client, libraries, django_assert_max_num_queries):
    published_statement(libraries, translations=("fr", "ar"))
    client.get("/statements/library-opening-hours/")
    # The identity's version, the statement with its published texts and revisions, its commission's texts.
    with django_assert_max_num_queries(4):
        assert client.get("/statements/library-opening-hours/").status_code == 200
