"""A member organisation's signed-in contact offers a translation: it becomes a draft credited to the
organisation, which only the issuing body's editors publish, through the usual workflow. Anyone
else is told how to sign in; bad input is refused on the page with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from undersigned.commissions.models import CommissionMembership
from undersigned.core.exceptions import DomainError
from undersigned.core.models import AuditEvent
from undersigned.organisations.models import Organisation
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tokens import sign_in_token
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.models import Statement, StatementText
from undersigned.statements.services import (
    TextInput,
    statement_close,
    statement_import,
    statement_withdraw,
    text_publish,
    translation_add,
    translation_offer,
    translation_offer_by_contact,
    translation_offer_decline,
)
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE
from undersigned.testing import UserFactory, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db

CONTACT = "ana@reading-room.example"
SPANISH_BODY = "La Comisión de Bibliotecas Públicas pide que las bibliotecas abran por la tarde."


@pytest.fixture
def statement(libraries) -> Statement:
    return published_statement(libraries, translations=("fr",))


@pytest.fixture
def member(db) -> Organisation:
    ensure_builtin_types()
    return member_organisation()


def member_client(email: str = CONTACT) -> Client:
    """A browser signed in as a member contact, through the emailed link as a person would."""
    client = Client()
    answer = client.post(f"/organisations/members/sign-in/{sign_in_token(email)}/")
    assert answer.status_code == 302, answer.status_code
    return client


def offer_url(statement: Statement) -> str:
    return f"/statements/{statement.slug}/translations/offer/"


def offer_data(offered_by: Organisation, **fields: Any) -> dict[str, Any]:
    """What a browser posts to the offer form."""
    return {
        "organisation": offered_by.pk,
        "language": "es",
        "title": "Declaración sobre el horario de las bibliotecas",
        "dateline_date": "2025-03-12",
        "dateline_place": "Madrid",
        "headline_calls": "¡Bibliotecas abiertas cuando la gente puede ir!\n¡Tardes y fines de semana para todos!",
        "body": SPANISH_BODY,
        "call_to_action": "Pedimos al público que apoye esta declaración.",
        **fields,
    }


def spanish(title: str = "Declaración", body: str = SPANISH_BODY) -> TextInput:
    return TextInput(title=title, body=body)


def nothing_offered() -> bool:
    return (
        not StatementText.objects.filter(offered_by__isnull=False).exists()
        and not AuditEvent.objects.filter(action="text.offered").exists()
    )


# --- The journey --------------------------------------------------------------------------------


def test_an_offer_becomes_a_credited_draft_that_an_editor_publishes(client, statement, member, libraries):
    contact = member_client()
    home = contact.get("/organisations/members/").content.decode()
    assert f'href="{offer_url(statement)}"' in home
    form = contact.get(offer_url(statement))
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    page = form.content.decode()
    assert "Friends of the Reading Room" in page
    assert "Statement on Library Opening Hours" in page  # the original, to translate from
    # The languages that have a text are not offered.
    assert '<option value="es">' in page and '<option value="fr">' not in page and '<option value="en">' not in page

    answer = contact.post(offer_url(statement), offer_data(member), follow=True)
    assert answer.redirect_chain[-1][0] == "/organisations/members/#offers"
    home = answer.content.decode()
    assert "the translation into español is offered" in home
    assert "offered, waiting for the editors" in home

    text = StatementText.objects.get(statement=statement, language="es")
    assert text.status == StatementText.Status.DRAFT and text.published_revision is None
    assert text.offered_by == member and text.translator_credit == "Friends of the Reading Room"
    assert text.headline_calls == [
        "¡Bibliotecas abiertas cuando la gente puede ir!",
        "¡Tardes y fines de semana para todos!",
    ]
    assert (text.dateline_place, str(text.dateline_date)) == ("Madrid", "2025-03-12")
    event = AuditEvent.objects.get(action="text.offered")
    assert event.subject_id == statement.pk and event.actor is None
    assert event.detail == {"language": "es", "organisation": member.pk}  # no contact's address

    # Nothing is public before an editor publishes it.
    assert SPANISH_BODY not in client.get(f"/statements/{statement.slug}/es/", follow=True).content.decode()

    eli = editor(libraries)
    staff_login(client, eli)
    assert "1 translation waits" in client.get("/staff/").content.decode()
    overview = client.get(f"/staff/statements/{statement.slug}/").content.decode()
    assert "Translations offered by member organisations" in overview
    assert "offered by <bdi>Friends of the Reading Room</bdi>" in overview
    assert "Friends of the Reading Room</bdi> · <code>text.offered</code>" in overview
    text_page = client.get(f"/staff/statements/{statement.slug}/texts/es/").content.decode()
    assert "Offered by <bdi>Friends of the Reading Room</bdi>, a member organisation" in text_page
    assert 'value="Friends of the Reading Room"' in text_page  # the credit, which the editor may change

    # The editor publishes it through the usual page.
    published = client.post(
        f"/staff/statements/{statement.slug}/texts/es/",
        {**offer_data(member), "translator_credit": text.translator_credit, "action": "publish"},
    )
    assert published.status_code == 302
    text.refresh_from_db()
    assert text.status == StatementText.Status.PUBLISHED and text.offered_by == member
    assert text.published_revision is not None
    assert text.published_revision.translator_credit == "Friends of the Reading Room"
    assert "translation waits" not in client.get("/staff/").content.decode()

    public = Client().get(f"/statements/{statement.slug}/es/").content.decode()
    assert SPANISH_BODY in public
    assert "Translated by <bdi>Friends of the Reading Room</bdi>." in public
    home = contact.get("/organisations/members/").content.decode()
    assert f'href="/statements/{statement.slug}/es/"' in home and "<strong>published</strong>" in home


def test_a_closed_statement_takes_offers(statement, member):
    statement_close(actor=None, statement=statement)
    answer = member_client().post(offer_url(statement), offer_data(member))
    assert answer.status_code == 302
    assert StatementText.objects.get(language="es").offered_by == member


def test_the_service_publishes_an_offer_like_any_draft(statement, member):
    text = translation_offer(statement=statement, organisation=member, language="de", text=spanish("Erklärung"))
    text.statement = statement
    revision = text_publish(actor=editor(statement.commission), text=text)
    assert revision.number == 1 and revision.translator_credit == member.name


# --- Who may offer --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_visitor_not_signed_in_is_told_how_to_sign_in(statement, member, method):
    answer = getattr(Client(), method)(offer_url(statement), offer_data(member))
    assert answer.status_code == 403 and "no-store" in answer["Cache-Control"]
    page = answer.content.decode()
    assert "Sign in to offer a translation" in page
    assert 'href="/organisations/members/sign-in/"' in page
    assert nothing_offered()


def test_staff_signed_in_are_no_member_contacts(client, statement, member):
    staff_login(client, secretariat())
    answer = client.post(offer_url(statement), offer_data(member))
    assert answer.status_code == 403 and "Sign in to offer a translation" in answer.content.decode()
    assert nothing_offered()


def test_a_contact_whose_organisation_is_no_longer_a_member_is_refused(statement, member):
    contact = member_client()
    Organisation.objects.filter(pk=member.pk).update(is_member=False, member_since=None)
    answer = contact.post(offer_url(statement), offer_data(member))
    assert answer.status_code == 403 and "Sign in to offer a translation" in answer.content.decode()
    assert nothing_offered()


def test_a_contact_offers_only_for_their_own_organisation(statement, member):
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    answer = member_client().post(offer_url(statement), offer_data(member, organisation=other.pk))
    assert answer.status_code == 400 and "Select a valid choice" in answer.content.decode()
    with pytest.raises(DomainError) as refused:
        translation_offer_by_contact(
            email=CONTACT, statement=statement, organisation_id=other.pk, language="es", text=spanish()
        )
    assert refused.value.status == 404
    assert nothing_offered()


def test_an_organisation_that_is_not_a_member_offers_nothing(statement, member):
    Organisation.objects.filter(pk=member.pk).update(is_member=False)
    member.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    assert refused.value.status == 403
    assert nothing_offered()


# --- Which statements take offers -----------------------------------------------------------------


def test_a_draft_or_unknown_statement_is_not_found(libraries, member):
    draft = statement_import(actor=None, commission=libraries, slug="draft", language="en", source=PRESS_RELEASE)
    contact = member_client()
    assert contact.get(offer_url(draft)).status_code == 404
    assert contact.post(offer_url(draft), offer_data(member)).status_code == 404
    assert contact.get("/statements/no-such-statement/translations/offer/").status_code == 404
    with pytest.raises(DomainError) as refused:
        translation_offer(statement=draft, organisation=member, language="es", text=spanish())
    assert refused.value.status == 410
    assert nothing_offered()


def test_a_withdrawn_statement_takes_no_offers(statement, member):
    contact = member_client()
    statement_withdraw(actor=None, statement=statement)
    assert contact.get(offer_url(statement)).status_code == 410
    answer = contact.post(offer_url(statement), offer_data(member))
    assert answer.status_code == 410 and "takes no offers of translations" in answer.content.decode()
    assert nothing_offered()


def test_a_statement_withdrawn_while_the_contact_writes_refuses_the_offer(statement, member):
    contact = member_client()
    assert contact.get(offer_url(statement)).status_code == 200
    # The public page's cache still holds it as published: the service reads the status afresh.
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.WITHDRAWN)
    answer = contact.post(offer_url(statement), offer_data(member))
    assert answer.status_code == 410 and "takes no offers of translations" in answer.content.decode()
    assert nothing_offered()


def test_a_statement_whose_personal_data_is_purged_takes_no_offers(statement, member):
    statement_close(actor=None, statement=statement)
    Statement.objects.filter(pk=statement.pk).update(personal_data_purged_at=timezone.now())
    answer = member_client().post(offer_url(statement), offer_data(member))
    assert answer.status_code == 410 and "archived" in answer.content.decode()
    assert nothing_offered()


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"body": ""}, 400, "This field is required."),
        ({"body": "  \n\n  "}, 400, "This field is required."),
        ({"body": "x" * 100_001}, 400, "at most 100000 characters (it has 100001)"),
        ({"body": "A \x00 NUL"}, 400, "Null characters are not allowed."),
        ({"body": "A bell\x07 in the text"}, 400, "Remove the invisible control characters"),
        ({"title": ""}, 400, "This field is required."),
        ({"title": "x" * 301}, 400, "at most 300 characters (it has 301)"),
        ({"title": "Declaración\u202e oculta"}, 400, "Remove the invisible control characters"),
        ({"headline_calls": "x" * 151}, 400, "Each headline call may be at most 150 characters long."),
        ({"dateline_place": "x" * 121}, 400, "at most 120 characters (it has 121)"),
        ({"dateline_date": "next Tuesday"}, 400, "Enter a valid date."),
        ({"call_to_action": "x" * 2001}, 400, "at most 2000 characters (it has 2001)"),
        ({"language": ""}, 400, "This field is required."),
        ({"language": "xx-nowhere"}, 400, "Choose a language from the list."),
        ({"language": "ES"}, 400, "Choose a language from the list."),
        ({"language": "e\x00s"}, 400, "Null characters are not allowed."),
        ({"language": "fr"}, 400, "already has a text in français, published or being prepared"),
        ({"language": "en"}, 400, "already has a text in English, published or being prepared"),
        ({"organisation": ""}, 400, "This field is required."),
        ({"organisation": "many"}, 400, "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_on_the_page_and_nothing_is_stored(statement, member, fields, status, message):
    answer = member_client().post(offer_url(statement), offer_data(member, **fields))
    assert answer.status_code == status
    page = answer.content.decode()
    assert message in page, page
    assert "field--invalid" in page
    assert nothing_offered()
    assert StatementText.objects.filter(statement=statement).count() == 2


def test_a_language_with_a_draft_is_not_offered_either(statement, member, libraries):
    translation_add(actor=None, statement=statement, language="de", text=spanish("Entwurf"))
    contact = member_client()
    assert '<option value="de">' not in contact.get(offer_url(statement)).content.decode()
    answer = contact.post(offer_url(statement), offer_data(member, language="de"))
    assert answer.status_code == 400
    assert "already has a text in Deutsch, published or being prepared" in answer.content.decode()
    assert nothing_offered()
    # The service says the same when a text appears between the form and the offer.
    with pytest.raises(DomainError) as refused:
        translation_offer(statement=statement, organisation=member, language="de", text=spanish())
    assert (refused.value.code, refused.value.status) == ("language_taken", 409)
    assert nothing_offered()


def test_markup_in_a_title_is_kept_as_text_and_never_run(client, statement, member, libraries):
    """Titles are plain text everywhere (escaped where shown), for staff and members alike."""
    title = 'Declaración <script>alert("x")</script> <b>abierta</b>'
    assert member_client().post(offer_url(statement), offer_data(member, title=title)).status_code == 302
    text = StatementText.objects.get(language="es")
    assert text.title == title
    text.statement = statement
    text_publish(actor=None, text=text)
    public = client.get(f"/statements/{statement.slug}/es/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in public and "<script>alert" not in public


def test_markup_in_the_body_is_sanitised_as_in_every_text(client, statement, member):
    body = "Un párrafo <img src=x onerror=alert(1)> con [un enlace](javascript:alert(1)) y **fuerza**."
    assert member_client().post(offer_url(statement), offer_data(member, body=body)).status_code == 302
    text = StatementText.objects.get(language="es")
    text.statement = statement
    text_publish(actor=None, text=text)
    public = client.get(f"/statements/{statement.slug}/es/").content.decode()
    assert "<strong>fuerza</strong>" in public
    assert "<img src=x" not in public and 'href="javascript' not in public


# --- Not flooding the editors ---------------------------------------------------------------------


def test_an_organisation_has_one_offer_waiting_per_statement(statement, member, libraries):
    contact = member_client()
    assert contact.post(offer_url(statement), offer_data(member)).status_code == 302
    second = contact.post(offer_url(statement), offer_data(member, language="de", title="Erklärung"))
    assert second.status_code == 409
    assert "already has a translation of this statement waiting for the editors" in second.content.decode()
    assert list(StatementText.objects.filter(offered_by=member).values_list("language", flat=True)) == ["es"]
    # Another organisation may offer another language meanwhile.
    other = member_organisation(name="Harbour Readers", domain="harbour-readers.example")
    translation_offer(statement=statement, organisation=other, language="de", text=spanish("Erklärung"))
    # Once the first is published, the organisation may offer again.
    text = StatementText.objects.get(language="es")
    text.statement = statement
    text_publish(actor=editor(libraries), text=text)
    assert (
        contact.post(offer_url(statement), offer_data(member, language="it", title="Dichiarazione")).status_code == 302
    )
    assert StatementText.objects.filter(offered_by=member).count() == 2


def test_the_database_holds_the_one_waiting_offer_rule(statement, member):
    from django.db import IntegrityError, transaction

    translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementText.objects.create(statement=statement, language="de", title="Zweite", body="x", offered_by=member)


# --- The editors decline an offer -----------------------------------------------------------------


def test_an_editor_declines_an_offer_and_the_language_is_free_again(client, statement, member, libraries):
    translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    staff_login(client, editor(libraries))
    answer = client.post(
        f"/staff/statements/{statement.slug}/actions/", {"action": "decline_offer", "language": "es"}, follow=True
    )
    assert "The offered translation is declined and deleted." in answer.content.decode()
    assert not StatementText.objects.filter(language="es").exists()
    event = AuditEvent.objects.get(action="text.offer_declined")
    assert event.detail == {"language": "es", "organisation": member.pk}
    assert member_client().post(offer_url(statement), offer_data(member)).status_code == 302


def test_only_a_never_published_offer_is_declined(client, statement, member, libraries):
    eli = editor(libraries)
    text = translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    text.statement = statement
    text_publish(actor=eli, text=text)
    staff_text = StatementText.objects.get(statement=statement, language="fr")
    staff_text.statement = statement
    for refused_text in (text, staff_text):
        with pytest.raises(DomainError) as refused:
            translation_offer_decline(actor=eli, text=refused_text)
        assert refused.value.code == "not_an_offer"
    staff_login(client, eli)
    answer = client.post(
        f"/staff/statements/{statement.slug}/actions/", {"action": "decline_offer", "language": "e\x00s"}, follow=True
    )
    assert "This translation is not there any more." in answer.content.decode()
    assert StatementText.objects.filter(statement=statement).count() == 3


def test_only_the_editors_decline(client, statement, member, libraries):
    text = translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    moderator = UserFactory.create(email="mo@example.org")
    CommissionMembership.objects.create(commission=libraries, user=moderator, role="moderator")
    with pytest.raises(DomainError) as refused:
        translation_offer_decline(actor=moderator, text=text)
    assert refused.value.status == 403
    staff_login(client, moderator)
    assert (
        client.post(
            f"/staff/statements/{statement.slug}/actions/", {"action": "decline_offer", "language": "es"}
        ).status_code
        == 403
    )
    assert (
        "Translations offered by member organisations"
        not in client.get(f"/staff/statements/{statement.slug}/").content.decode()
    )
    assert StatementText.objects.filter(language="es").exists()


def test_editors_of_another_commission_are_not_told_of_offers(client, statement, member, mobility):
    translation_offer(statement=statement, organisation=member, language="es", text=spanish())
    staff_login(client, editor(mobility))
    assert "Translations offered by member organisations" not in client.get("/staff/").content.decode()
    staff_login(client, secretariat())
    assert "1 translation waits" in client.get("/staff/").content.decode()
