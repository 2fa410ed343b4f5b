from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from undersigned.commissions.models import CommissionMembership
from undersigned.core.models import AuditEvent
from undersigned.statements.models import Revision, Statement, StatementText
from undersigned.statements.services import translator_assign
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE
from undersigned.testing import UserFactory, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db


def import_form(**overrides):
    return {"commission": "public-libraries", "language": "en", "source": PRESS_RELEASE, "slug": ""} | overrides


def test_an_editor_pastes_a_press_release_and_sees_it_parsed(client, libraries):
    staff_login(client, editor(libraries))
    response = client.post("/staff/statements/new/", import_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/statements/statement-on-library-opening-hours/texts/en/"
    page = client.get(response.headers["Location"]).content.decode()
    assert 'value="Statement on Library Opening Hours"' in page
    assert "Open libraries when people can use them!\nEvenings and weekends for everyone!" in page
    assert 'value="2025-03-12"' in page
    assert Statement.objects.get().status == Statement.Status.DRAFT


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({"source": ""}, {}, "Paste the press release here"),
        ({"source": "Just a title"}, {}, "no paragraph of text"),
        ({"source": "Title\n\n31 February 2024\n\nBody."}, {}, "Line 3"),
        ({"source": ""}, {"upload": SimpleUploadedFile("big.txt", b"a" * 5_000_000)}, "larger than 1 MB"),
        ({"source": ""}, {"upload": SimpleUploadedFile("bin.dat", bytes(range(256)) * 4)}, "not UTF-8"),
        ({"source": ""}, {"upload": SimpleUploadedFile("l1.txt", "Titre\n\nCaf\u00e9".encode("latin-1"))}, "not UTF-8"),
        ({"source": ""}, {"upload": SimpleUploadedFile("nul.txt", b"Title\n\nBody \x00\x01 text")}, "binary"),
        ({"source": "Title\n\nBody \x00 text"}, {}, "holds a NUL character"),
        ({"language": "zz"}, {}, "Select a valid choice"),
        ({"commission": "urban-mobility"}, {}, "Select a valid choice"),
        ({"slug": "has spaces"}, {}, "Enter a valid"),
    ],
)
def test_bad_imports_get_a_message_and_store_nothing(client, libraries, mobility, data, files, message):
    staff_login(client, editor(libraries))
    response = client.post("/staff/statements/new/", import_form(**data) | files)
    assert response.status_code == 400
    assert message in response.content.decode()
    # One message for one mistake: none that tells to paste a text that was pasted.
    assert "Paste the press release here" not in response.content.decode() or not data.get("source")
    assert not Statement.objects.exists()


def test_a_taken_short_name_is_explained(client, libraries):
    published_statement(libraries, slug="statement-on-library-opening-hours", translations=())
    staff_login(client, editor(libraries))
    response = client.post("/staff/statements/new/", import_form())
    assert response.status_code == 400
    assert "“statement-on-library-opening-hours”, is taken by another statement" in response.content.decode()
    given = client.post("/staff/statements/new/", import_form(slug="statement-on-library-opening-hours"))
    assert given.status_code == 400
    assert "Another statement already uses this short name." in given.content.decode()
    assert Statement.objects.count() == 1


def test_importing_the_same_text_again_says_once_that_its_short_name_is_taken(client, libraries):
    staff_login(client, editor(libraries))
    assert client.post("/staff/statements/new/", import_form()).status_code == 302
    again = client.post("/staff/statements/new/", import_form())
    assert again.status_code == 400
    page = again.content.decode()
    assert page.count("is taken by another statement") == 1
    assert "Another statement already uses this short name." not in page
    assert Statement.objects.count() == 1


def test_an_uploaded_file_imports_like_a_paste(client, libraries):
    staff_login(client, secretariat())
    upload = SimpleUploadedFile("statement.txt", ("\ufeff" + PRESS_RELEASE).encode())
    response = client.post("/staff/statements/new/", import_form(source="", upload=upload, commission="federation"))
    assert response.status_code == 302
    assert Statement.objects.get().commission is None


def test_preview_shows_unsaved_changes_exactly_as_readers_will_see_them(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    text = statement.texts.get()
    response = client.post(
        f"/staff/statements/{statement.slug}/texts/en/",
        {"action": "preview", "title": "A new title", "body": "**Bold** paragraph.", "headline_calls": "Call!"},
    )
    content = response.content.decode()
    assert '<article class="statement" lang="en" dir="ltr">' in content
    assert "<strong>Bold</strong>" in content
    text.refresh_from_db()
    assert text.title == "Statement on Library Opening Hours"


def test_editor_adds_a_french_translation_and_publishes_it(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    page = client.get(f"/staff/statements/{statement.slug}/translations/new/?language=fr")
    assert "Original (English)" in page.content.decode()
    response = client.post(
        f"/staff/statements/{statement.slug}/translations/new/",
        {"language": "fr", "title": "Déclaration", "body": "Texte.", "headline_calls": "Ouvrez\u00a0!"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/staff/statements/{statement.slug}/texts/fr/",
        {"action": "publish", "title": "Déclaration", "body": "Texte.", "headline_calls": "Ouvrez\u00a0!"},
    )
    assert response.status_code == 302
    french = StatementText.objects.get(language="fr")
    assert french.published_revision.headline_calls == ["Ouvrez\u00a0!"]


def test_publishing_a_change_without_a_note_is_explained(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    response = client.post(
        f"/staff/statements/{statement.slug}/texts/en/",
        {"action": "publish", "title": "Changed", "body": "Changed body."},
    )
    assert response.status_code == 400
    assert "Say in a change note what changed" in response.content.decode()
    assert Revision.objects.count() == 1


def test_a_refused_publication_keeps_no_edit(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    before = StatementText.objects.get(statement=statement, language="en")
    events = AuditEvent.objects.count()
    response = client.post(
        f"/staff/statements/{statement.slug}/texts/en/",
        {"action": "publish", "title": "Changed", "body": "Changed body."},
    )
    assert response.status_code == 400
    after = StatementText.objects.get(pk=before.pk)
    assert (after.title, after.body, after.has_unpublished_changes) == (before.title, before.body, False)
    assert AuditEvent.objects.count() == events


def test_statement_actions(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    client.post(f"/staff/statements/{statement.slug}/actions/", {"action": "close"})
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CLOSED
    response = client.post(f"/staff/statements/{statement.slug}/actions/", {"action": "publish"}, follow=True)
    assert "already been published" in response.content.decode()
    response = client.post(
        f"/staff/statements/{statement.slug}/actions/",
        {"action": "window", "opens_at": "2025-03-02T10:00", "closes_at": "2025-03-01T10:00"},
        follow=True,
    )
    assert "Sign-on must close after it opens." in response.content.decode()
    response = client.post(f"/staff/statements/{statement.slug}/actions/", {"action": "explode"}, follow=True)
    assert "Unknown action." in response.content.decode()


def test_editors_of_other_commissions_are_told_nothing_more_than_for_a_missing_statement(client, libraries, mobility):
    statement = published_statement(mobility, slug="cycling", translations=())
    staff_login(client, editor(libraries))
    for slug in (statement.slug, "no-such-statement"):
        assert client.get(f"/staff/statements/{slug}/").status_code == 404
        assert client.get(f"/staff/statements/{slug}/texts/en/").status_code == 404
        assert client.post(f"/staff/statements/{slug}/actions/", {"action": "withdraw"}).status_code == 404
    assert "cycling" not in client.get("/staff/statements/").content.decode()
    statement.refresh_from_db()
    assert statement.status == Statement.Status.PUBLISHED


def test_a_translator_sees_only_their_assignment_and_cannot_publish(client, libraries):
    statement = published_statement(libraries, translations=("fr",))
    tove = UserFactory.create(email="tove@example.org", full_name="Tove Translator")
    CommissionMembership.objects.create(commission=libraries, user=tove, role=CommissionMembership.Role.TRANSLATOR)
    translator_assign(actor=None, statement=statement, language="es", translator=tove)
    staff_login(client, tove)
    assert client.get(f"/staff/statements/{statement.slug}/texts/fr/").status_code == 403
    response = client.post(
        f"/staff/statements/{statement.slug}/translations/new/",
        {"language": "es", "title": "Declaración", "body": "Texto."},
    )
    assert response.status_code == 302
    page = client.get(f"/staff/statements/{statement.slug}/texts/es/").content.decode()
    assert "Submit for review" in page
    assert "Publish" not in page
    response = client.post(
        f"/staff/statements/{statement.slug}/texts/es/", {"action": "publish", "title": "Declaración", "body": "Texto."}
    )
    assert response.status_code == 400
    assert not StatementText.objects.get(language="es").published_revision
    client.post(
        f"/staff/statements/{statement.slug}/texts/es/", {"action": "submit", "title": "Declaración", "body": "Texto."}
    )
    assert StatementText.objects.get(language="es").status == StatementText.Status.IN_REVIEW


def test_import_command_prints_the_public_address(libraries, tmp_path, capsys):
    from django.core.management import call_command

    source = tmp_path / "statement.txt"
    source.write_text(PRESS_RELEASE, encoding="utf-8")
    call_command("import_statement", str(source), "--language", "en", "--body", "public-libraries", "--publish")
    out = capsys.readouterr().out
    assert "http://testserver/statements/statement-on-library-opening-hours/" in out
    assert Statement.objects.get().status == Statement.Status.PUBLISHED


@pytest.mark.parametrize(
    ("content", "arguments", "message"),
    [
        (b"", ["--body", "public-libraries"], "empty"),
        (b"Title\n\n31 February 2024\n\nBody.", ["--body", "public-libraries"], "Line 3"),
        (b"\xff\xfe\x00binary", ["--body", "public-libraries"], "UTF-8"),
        (PRESS_RELEASE.encode(), ["--body", "nobody"], "no commission"),
    ],
)
def test_import_command_refuses_with_a_message(libraries, tmp_path, content, arguments, message):
    from django.core.management import CommandError, call_command

    source = tmp_path / "statement.txt"
    source.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_statement", str(source), "--language", "en", *arguments)
    assert not Statement.objects.exists()


def test_the_staff_list_is_paginated_with_a_constant_number_of_queries(
    client, libraries, django_assert_max_num_queries
):
    for number in range(55):
        published_statement(libraries, slug=f"s-{number}", translations=())
    staff_login(client, editor(libraries))
    client.get("/staff/statements/")
    with django_assert_max_num_queries(12):
        first = client.get("/staff/statements/").content.decode()
    assert first.count("/staff/statements/s-") == 50
    assert client.get("/staff/statements/?page=2").content.decode().count("/staff/statements/s-") == 5
    assert client.get("/staff/statements/?page=abc").status_code == 200


def test_staff_pages_call_a_statement_by_its_title_and_dates_are_unambiguous(client, libraries):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from undersigned.signatures.models import Signature

    statement = published_statement(libraries, translations=())
    title = statement.texts.get(language=statement.original_language).title
    staff_login(client, secretariat())
    for path in (
        f"/staff/statements/{statement.slug}/",
        f"/staff/statements/{statement.slug}/signatures/",
        f"/staff/statements/{statement.slug}/delivery/",
        f"/staff/statements/{statement.slug}/texts/{statement.original_language}/",
    ):
        page = client.get(path).content.decode()
        assert title in page, path
        assert f"<code>{statement.slug}</code></a>" not in page, path

    revision = statement.texts.get(language=statement.original_language).published_revision
    assert revision is not None
    Signature.objects.create(
        statement=statement,
        revision=revision,
        email_hash="e" * 64,
        network_hash="n" * 64,
        language="en",
        status=Signature.Status.HELD,
        created_at=datetime(2026, 12, 6, 0, 14, tzinfo=ZoneInfo("UTC")),
    )
    queue = client.get(f"/staff/statements/{statement.slug}/signatures/?status=held").content.decode()
    assert "12/06/2026" not in queue
    assert "Dec. 6, 2026" in queue


def test_publishing_asks_which_unpublished_translations_go_out_too(client, libraries):
    from undersigned.statements.services import TextInput, statement_import, translation_add

    statement = statement_import(actor=None, commission=libraries, language="en", source=PRESS_RELEASE)
    finished = translation_add(
        actor=None, statement=statement, language="fr", text=TextInput(title="Déclaration", body="Texte.")
    )
    StatementText.objects.filter(pk=finished.pk).update(status=StatementText.Status.IN_REVIEW)
    translation_add(actor=None, statement=statement, language="es", text=TextInput(title="Declaración", body="Texto."))
    staff_login(client, editor(libraries))
    page = client.get(f"/staff/statements/{statement.slug}/").content.decode()
    assert "Publish these translations with it" in page
    assert 'name="translations" value="fr" checked' in page  # finished: offered, ticked
    assert 'name="translations" value="es">' in page  # a draft: offered, not ticked

    refused = client.post(
        f"/staff/statements/{statement.slug}/actions/", {"action": "publish", "translations": ["de"]}, follow=True
    )
    assert "does not exist or is already published" in refused.content.decode()
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.DRAFT

    client.post(f"/staff/statements/{statement.slug}/actions/", {"action": "publish", "translations": ["fr"]})
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.PUBLISHED
    texts = {text.language: text for text in StatementText.objects.filter(statement=statement)}
    assert texts["fr"].published_revision_id is not None
    assert texts["es"].published_revision_id is None
    assert "Déclaration" in client.get(f"/statements/{statement.slug}/fr/").content.decode()
    assert client.get(f"/statements/{statement.slug}/es/").status_code == 404


@pytest.mark.parametrize("language", ["f\x00r", "x" * 40])
def test_a_translation_asked_for_in_no_language_is_refused_with_a_message(client, libraries, language):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    for response in (
        client.get(f"/staff/statements/{statement.slug}/translations/new/", {"language": language}, follow=True),
        client.post(f"/staff/statements/{statement.slug}/translations/new/", {"language": language}, follow=True),
    ):
        assert response.status_code == 200
        assert "Choose a language this statement has no text in yet." in response.content.decode()
    assert statement.texts.count() == 1


def test_an_address_with_a_nul_in_it_is_not_found_not_a_server_error(client, libraries):
    statement = published_statement(libraries, translations=())
    staff_login(client, editor(libraries))
    for path in (
        f"/staff/statements/{statement.slug}/texts/f%00r/",
        f"/statements/{statement.slug}/f%00r/",
        f"/statements/{statement.slug}/f%00r/history/",
        "/your-data/a%00b/",
    ):
        assert client.get(path).status_code == 404, path
