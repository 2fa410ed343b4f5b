"""The delivery mail's mention of the statement's solidarity actions: offered when there are
approved ones, ticked by default, recorded and audited with the delivery, counted as the signed
statement counts them, and sent as previewed (real SMTP on loopback, the PDF read back)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.utils import translation

from undersigned.actions.presentation import actions_in_countries
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.models import AuditEvent
from undersigned.deliveries.models import Delivery
from undersigned.deliveries.services import actions_mention, delivery_create, delivery_plan
from undersigned.deliveries.tests.conftest import add_target
from undersigned.exports.tests.conftest import pdf_text
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.models import Statement
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db

PAGE = "/staff/statements/library-opening-hours/delivery/"
ACTIONS_URL = "http://testserver/statements/library-opening-hours/actions/"


def approved_actions(statement: Statement) -> None:
    """Three approved actions in two countries, and one waiting for review that counts nowhere."""
    ensure_builtin_types()  # a transactional test's flush takes the migration's types away
    member = member_organisation()
    for kind, country in [("forum", "FR"), ("forum", "ES"), ("republication", "FR")]:
        SolidarityActionFactory(statement=statement, organisation=member, kind=kind, country=country)
    SolidarityActionFactory(statement=statement, organisation=member, kind="rally", country="DE", status="awaiting")


def deliver(statement: Statement, *, mention_actions: bool) -> Delivery:
    return delivery_create(
        actor=None,
        statement=statement,
        covering_text="Dear Minister, here is our statement.",
        seen_deliveries=Delivery.objects.filter(statement=statement).count(),
        again_today=False,
        mention_actions=mention_actions,
    )


def mention_in(language: str, actions: int, countries: int) -> str:
    with translation.override(language):
        return actions_mention(actions, countries)


def one_line(text: str) -> str:
    return " ".join(text.split())


def text_of(message) -> str:
    """The plain text as sent, its line ends as the preview shows them (SMTP sends CRLF)."""
    body = message.get_body(preferencelist=("plain",))
    return body.get_content().replace("\r\n", "\n") if body is not None else ""


def html_of(message) -> str:
    body = message.get_body(preferencelist=("html",))
    return body.get_content() if body is not None else ""


@pytest.mark.django_db(transaction=True)
def test_the_mail_mentions_the_actions_with_the_counts_of_the_attached_pdf(statement, smtp_server, run_tasks, tmp_path):
    approved_actions(statement)
    add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    delivery = deliver(statement, mention_actions=True)
    assert (delivery.mention_actions, delivery.actions, delivery.action_countries) == (True, 3, 2)
    run_tasks()
    by_address = {message["To"]: message for message in smtp_server.messages}

    english = by_address["smith@gov.example"]
    text = text_of(english)
    assert (
        "Besides the signatures, organisations answered this statement with 3 solidarity actions in "
        "2 countries; they are not part of the signature count. The attached document sums them up, and they "
        f"are listed here:\n{ACTIONS_URL}\n" in text
    )
    assert f'<a href="{ACTIONS_URL}" dir="ltr">' in html_of(english)
    (attachment,) = [part for part in english.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert actions_in_countries(3, 2) in one_line(pdf_text(attachment.get_content(), tmp_path))

    french = by_address["dupont@gouv.example"]
    assert mention_in("fr", 3, 2) in text_of(french)
    assert mention_in("fr", 3, 2) != mention_in("en", 3, 2)
    (attachment,) = [part for part in french.iter_attachments() if part.get_content_type() == "application/pdf"]
    with translation.override("fr"):
        assert actions_in_countries(3, 2) in one_line(pdf_text(attachment.get_content(), tmp_path))

    event = AuditEvent.objects.get(action="deliveries.delivered")
    assert event.detail["mention_actions"] is True
    assert (event.detail["actions"], event.detail["action_countries"]) == (3, 2)


@pytest.mark.django_db(transaction=True)
def test_unticked_the_mail_says_nothing_of_the_actions_and_the_choice_is_kept(statement, smtp_server, run_tasks):
    approved_actions(statement)
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    delivery = deliver(statement, mention_actions=False)
    run_tasks()
    (message,) = smtp_server.messages
    assert "solidarity action" not in text_of(message)
    assert "/actions/" not in text_of(message) + html_of(message)
    delivery.refresh_from_db()
    assert (delivery.mention_actions, delivery.actions, delivery.action_countries) == (False, 3, 2)
    assert AuditEvent.objects.get(action="deliveries.delivered").detail["mention_actions"] is False


def test_without_approved_actions_there_is_no_sentence_even_when_asked(statement):
    member = member_organisation()
    SolidarityActionFactory(statement=statement, organisation=member, status="awaiting")
    SolidarityActionFactory(statement=statement, organisation=member, status="withdrawn")
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    plan = delivery_plan(actor=None, statement=statement, covering_text="Dear Minister", mention_actions=True)
    (recipient,) = plan.recipients
    assert not plan.mail_mentions_actions and plan.actions == 0
    assert "solidarity action" not in recipient.message.body and "/actions/" not in recipient.message.body
    delivery = deliver(statement, mention_actions=True)
    assert (delivery.actions, delivery.mail_mentions_actions) == (0, False)


def test_the_sentence_takes_the_plural_forms_of_each_language():
    assert mention_in("en", 1, 1).startswith(
        "Besides the signatures, organisations answered this statement with 1 solidarity action in 1 country; "
        "it is not part"
    )
    assert "with 2 solidarity actions in 1 country; they are" in mention_in("en", 2, 1)
    assert mention_in("en", 0, 0) == ""
    # Ukrainian: 1 and 21 share a form, 2–4 another, 5–20 a third; Arabic has six.
    ukrainian = {count: mention_in("uk", count, 7).replace(str(count), "N") for count in (1, 2, 5, 21)}
    assert ukrainian[1] == ukrainian[21] and len({ukrainian[1], ukrainian[2], ukrainian[5]}) == 3
    arabic = {count: mention_in("ar", count, 7).replace(str(count), "N") for count in (1, 2, 3, 11, 100)}
    assert len(set(arabic.values())) == 5
    for language in ("es", "fr", "ar", "fa", "tl", "tr", "uk"):
        assert mention_in(language, 3, 2) != mention_in("en", 3, 2), language
        assert "3" in mention_in(language, 3, 2) or "٣" in mention_in(language, 3, 2), language


class TestStaffPages:
    @pytest.fixture
    def client(self, statement, libraries):
        client = Client()
        staff_login(client, editor(libraries))
        return client

    def test_the_option_is_offered_and_ticked_only_when_there_are_approved_actions(self, client, statement):
        page = client.get(PAGE).content.decode()
        assert 'name="mention_actions"' not in page and "Mention the solidarity actions" not in page
        approved_actions(statement)
        page = client.get(PAGE).content.decode()
        (checkbox,) = re.findall(r'<input type="checkbox" name="mention_actions"[^>]*>', page)
        assert " checked" in checkbox
        assert "Mention the solidarity actions" in page and "3 actions in 2 countries" in page

    @pytest.mark.django_db(transaction=True)
    def test_the_preview_is_the_mail_that_is_sent(self, client, statement, smtp_server, run_tasks):
        approved_actions(statement)
        add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
        preview = client.post(PAGE + "preview/", {"covering_text": "Dear Minister,", "mention_actions": "on"})
        assert preview.status_code == 200
        page = preview.content.decode()
        (shown,) = re.findall(r'<pre class="mail-preview__body"[^>]*>(.*?)</pre>', page, re.S)
        assert "3 solidarity actions in 2 countries" in html.unescape(shown)
        assert 'name="mention_actions" value="True"' in page
        sent = client.post(
            PAGE + "send/", {"covering_text": "Dear Minister,", "seen_deliveries": "0", "mention_actions": "True"}
        )
        assert sent.status_code == 302
        run_tasks()
        (message,) = smtp_server.messages
        assert text_of(message) == html.unescape(shown)
        assert Delivery.objects.get().mail_mentions_actions
        assert "The mail mentioned 3 solidarity actions." in client.get(PAGE).content.decode()

    @pytest.mark.django_db(transaction=True)
    def test_unticked_the_preview_says_so_and_the_mail_is_sent_without(self, client, statement, smtp_server, run_tasks):
        approved_actions(statement)
        add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
        preview = client.post(PAGE + "preview/", {"covering_text": "Dear Minister,"})
        page = preview.content.decode()
        assert "do not mention the statement's 3 solidarity actions" in page
        (shown,) = re.findall(r'<pre class="mail-preview__body"[^>]*>(.*?)</pre>', page, re.S)
        assert "solidarity action" not in shown
        assert 'name="mention_actions" value="False"' in page
        client.post(
            PAGE + "send/", {"covering_text": "Dear Minister,", "seen_deliveries": "0", "mention_actions": "False"}
        )
        run_tasks()
        (message,) = smtp_server.messages
        assert text_of(message) == html.unescape(shown)
        delivery = Delivery.objects.get()
        assert (delivery.mention_actions, delivery.actions) == (False, 3)
        assert "The mail did not mention the 3 solidarity actions." in client.get(PAGE).content.decode()

    def test_a_mangled_choice_is_read_as_a_yes_or_no_and_never_fails(self, client, statement):
        approved_actions(statement)
        add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
        for value in ("", "maybe", "0", "false", "\x00", "x" * 5000):
            answer = client.post(
                PAGE + "send/", {"covering_text": "Dear Minister,", "seen_deliveries": "0", "mention_actions": value}
            )
            assert answer.status_code == 302
            delivery = Delivery.objects.get()
            assert delivery.mention_actions is (value not in ("", "0", "false"))
            delivery.recipients.all().delete()
            delivery.delete()
