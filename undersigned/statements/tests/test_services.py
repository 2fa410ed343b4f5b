from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from undersigned.commissions.models import CommissionMembership
from undersigned.core.exceptions import DomainError
from undersigned.core.models import AuditEvent
from undersigned.statements.canonical import canonical_bytes
from undersigned.statements.models import Revision, Statement, StatementText
from undersigned.statements.services import (
    TextInput,
    statement_close,
    statement_create,
    statement_import,
    statement_publish,
    statement_reopen,
    statement_set_window,
    statement_withdraw,
    text_publish,
    text_save,
    text_submit_for_review,
    translation_add,
    translator_assign,
)
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE
from undersigned.testing import UserFactory, editor, secretariat

pytestmark = pytest.mark.django_db


def original(statement: Statement) -> StatementText:
    text = statement.texts.get(language=statement.original_language)
    text.statement = statement
    return text


def test_importing_stores_a_draft_that_nobody_reads_yet(libraries):
    statement = statement_import(
        actor=editor(libraries), commission=libraries, slug="hours", language="en", source=PRESS_RELEASE
    )
    assert statement.status == Statement.Status.DRAFT
    text = original(statement)
    assert text.title == "Statement on Library Opening Hours"
    assert text.headline_calls == ["Open libraries when people can use them!", "Evenings and weekends for everyone!"]
    assert text.published_revision is None
    assert AuditEvent.objects.filter(action="statement.created", actor__email="eli@example.org").exists()


def test_a_refused_import_stores_nothing(libraries):
    with pytest.raises(DomainError) as refused:
        statement_import(
            actor=None, commission=libraries, slug="x", language="en", source="Title\n\n31 February 2024\n\nBody."
        )
    assert refused.value.code == "import_refused"
    assert refused.value.detail == {"line": 3}
    assert not Statement.objects.exists()
    assert not AuditEvent.objects.exists()


def test_publishing_makes_revision_one_with_the_hash_of_its_canonical_text(libraries):
    statement = published_statement(libraries, translations=())
    revision = Revision.objects.get()
    assert statement.status == Statement.Status.PUBLISHED
    assert statement.published_at is not None
    assert revision.number == 1
    text = original(statement)
    expected = hashlib.sha256(
        json.dumps(
            {
                "v": 1,
                "language": "en",
                "title": text.title,
                "dateline_date": "2025-03-12",
                "dateline_place": "",
                "headline_calls": text.headline_calls,
                "body": text.body,
                "call_to_action": text.call_to_action,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ).hexdigest()
    assert revision.sha256 == expected


def test_canonical_text_keeps_typography():
    common = {"language": "en", "dateline_date": None, "dateline_place": "", "headline_calls": [], "call_to_action": ""}
    curly = canonical_bytes(title="“A”", body="x\u00a0y", **common)
    straight = canonical_bytes(title='"A"', body="x y", **common)
    assert curly != straight
    assert "“A”".encode() in curly


def test_an_edit_after_publication_is_a_new_revision_with_a_change_note(libraries):
    statement = published_statement(libraries, translations=())
    text = original(statement)
    first = text.published_revision
    changed = replace(
        TextInput(
            title=text.title, body=text.body, headline_calls=text.headline_calls, call_to_action=text.call_to_action
        ),
        body=text.body + "\n\nA new paragraph.",
        dateline_date=text.dateline_date,
    )
    text = text_save(actor=None, text=text, values=changed)
    text.statement = statement
    # Readers still see revision 1 until the change is published.
    assert StatementText.objects.get(pk=text.pk).published_revision == first
    with pytest.raises(DomainError) as refused:
        text_publish(actor=None, text=text)
    assert refused.value.code == "change_note_required"
    second = text_publish(actor=None, text=text, change_note="Adds a paragraph on staffing.")
    assert second.number == 2
    assert second.sha256 != first.sha256
    first.refresh_from_db()
    assert "A new paragraph." not in first.body  # the published revision was not changed in place


def test_publishing_without_a_change_is_refused(libraries):
    statement = published_statement(libraries, translations=())
    with pytest.raises(DomainError) as refused:
        text_publish(actor=None, text=original(statement), change_note="Nothing really.")
    assert refused.value.code == "unchanged"
    assert Revision.objects.count() == 1


def test_slugs_are_unique_and_checked(libraries):
    published_statement(libraries, translations=())
    with pytest.raises(DomainError) as refused:
        statement_import(
            actor=None, commission=libraries, slug="library-opening-hours", language="en", source=PRESS_RELEASE
        )
    assert refused.value.code == "slug_taken"
    with pytest.raises(DomainError) as refused:
        statement_import(actor=None, commission=libraries, slug="with spaces", language="en", source=PRESS_RELEASE)
    assert refused.value.code == "invalid_slug"
    assert Statement.objects.count() == 1


@pytest.mark.parametrize("language", ["", "xx", "english", "en-US-x-private-tag-too-long"])
def test_unknown_languages_are_refused(libraries, language):
    with pytest.raises(DomainError) as refused:
        statement_import(actor=None, commission=libraries, slug="x", language=language, source=PRESS_RELEASE)
    assert refused.value.code == "unknown_language"


def test_editors_act_only_for_their_own_commissions(libraries, mobility):
    eli = editor(libraries)
    with pytest.raises(DomainError) as refused:
        statement_import(actor=eli, commission=mobility, slug="x", language="en", source=PRESS_RELEASE)
    assert refused.value.status == 403
    with pytest.raises(DomainError):
        statement_import(actor=eli, commission=None, slug="x", language="en", source=PRESS_RELEASE)
    other = published_statement(mobility, slug="cycling", translations=())
    for action in (statement_close, statement_withdraw):
        with pytest.raises(DomainError) as refused:
            action(actor=eli, statement=other)
        assert refused.value.status == 403
    assert Statement.objects.get(slug="cycling").status == Statement.Status.PUBLISHED


def test_the_secretariat_issues_for_the_federation_as_a_whole(site):
    statement = statement_import(actor=secretariat(), commission=None, slug="all", language="en", source=PRESS_RELEASE)
    assert statement.commission is None


def test_translators_edit_only_drafts_in_their_languages_and_cannot_publish(libraries):
    statement = statement_import(actor=None, commission=libraries, slug="hours", language="en", source=PRESS_RELEASE)
    tove = UserFactory.create(email="tove@example.org", full_name="Tove Translator")
    CommissionMembership.objects.create(commission=libraries, user=tove, role=CommissionMembership.Role.TRANSLATOR)
    translator_assign(actor=None, statement=statement, language="fr", translator=tove)
    french = translation_add(
        actor=tove, statement=statement, language="fr", text=TextInput(title="Déclaration", body="Texte.")
    )
    french.statement = statement
    text_save(actor=tove, text=french, values=TextInput(title="Déclaration", body="Texte revu."))
    with pytest.raises(DomainError) as refused:
        text_publish(actor=tove, text=french)
    assert refused.value.status == 403
    with pytest.raises(DomainError):
        translation_add(
            actor=tove, statement=statement, language="es", text=TextInput(title="Declaración", body="Texto.")
        )
    with pytest.raises(DomainError):
        text_save(actor=tove, text=original(statement), values=TextInput(title="Hijacked", body="No."))
    text_submit_for_review(actor=tove, text=french)
    with pytest.raises(DomainError):
        text_save(actor=tove, text=StatementText.objects.get(pk=french.pk), values=TextInput(title="Later", body="No."))
    assert StatementText.objects.get(pk=french.pk).body == "Texte revu."


def test_life_of_a_statement(libraries):
    statement = published_statement(libraries, translations=())
    with pytest.raises(DomainError):
        statement_publish(actor=None, statement=statement)
    statement = statement_close(actor=None, statement=statement)
    assert statement.status == Statement.Status.CLOSED
    assert not statement.takes_signatures()
    statement = statement_reopen(actor=None, statement=statement)
    assert statement.takes_signatures()
    statement = statement_withdraw(actor=None, statement=statement)
    with pytest.raises(DomainError):
        statement_reopen(actor=None, statement=statement)
    actions = list(AuditEvent.objects.filter(subject_id=statement.pk).values_list("action", flat=True))
    assert {"statement.closed", "statement.reopened", "statement.withdrawn"} <= set(actions)


def test_the_window_must_close_after_it_opens(libraries):
    from datetime import UTC, datetime

    statement = published_statement(libraries, translations=())
    with pytest.raises(DomainError) as refused:
        statement_set_window(
            actor=None,
            statement=statement,
            opens_at=datetime(2025, 3, 2, tzinfo=UTC),
            closes_at=datetime(2025, 3, 1, tzinfo=UTC),
        )
    assert refused.value.code == "window_order"
    statement_set_window(actor=None, statement=statement, opens_at=None, closes_at=datetime(2000, 1, 1, tzinfo=UTC))
    statement.refresh_from_db()
    assert not statement.takes_signatures()


@pytest.mark.parametrize(
    ("values", "code"),
    [
        (TextInput(title="", body="Body"), "title_required"),
        (TextInput(title="T", body="  \n "), "body_required"),
        (TextInput(title="T" * 301, body="Body"), "title_too_long"),
        (TextInput(title="T", body="Body", headline_calls=["x" * 151]), "call_too_long"),
    ],
)
def test_bad_texts_are_refused_and_nothing_changes(libraries, values, code):
    statement = published_statement(libraries, translations=())
    text = original(statement)
    before = (text.title, text.body)
    with pytest.raises(DomainError) as refused:
        text_save(actor=None, text=text, values=values)
    assert refused.value.code == code
    text.refresh_from_db()
    assert (text.title, text.body) == before


def test_create_takes_the_text_directly(libraries):
    statement = statement_create(
        actor=None,
        commission=libraries,
        slug="direct",
        original_language="ar",
        text=TextInput(title="بيان", body="نص البيان."),
    )
    assert original(statement).title == "بيان"
