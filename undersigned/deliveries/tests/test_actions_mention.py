"""The delivery mail's mention of the statement's solidarity actions: offered when there are
approved ones, ticked by default, recorded and audited with the delivery, counted as the signed
statement counts them, and sent as previewed (real SMTP on loopback, the PDF read back). Actions
approved or withdrawn between the delivery and its mails: each mail and its PDF state the counts
read when it is sent, and the staff page says so beside it."""

from __future__ import annotations

import html
import re
import socket

import pytest
from django.test import Client
from django.utils import timezone, translation

from undersigned.actions.models import SolidarityAction
from undersigned.actions.presentation import actions_in_countries
from undersigned.actions.services import action_withdraw_by_member
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.models import AuditEvent
from undersigned.deliveries.models import Delivery, DeliveryRecipient
from undersigned.deliveries.services import actions_mention, delivery_create, delivery_plan, recipient_send
from undersigned.deliveries.tests.conftest import add_target
from undersigned.exports.tests.conftest import pdf_text
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.statements.models import Statement
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db

PAGE = "/staff/statements/library-opening-hours/delivery/"
ACTIONS_URL = "http://testserver/statements/library-opening-hours/actions/"
CONTACT = "contact@reading-room.example"  # the member organisation's contact, by its email domain


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


def pdf_of(message, tmp_path) -> str:
    (attachment,) = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    return one_line(pdf_text(attachment.get_content(), tmp_path))


def withdraw(statement: Statement, *, country: str) -> None:
    """The member's contact withdraws the statement's approved actions in ``country``."""
    for action in SolidarityAction.objects.filter(statement=statement, country=country, status="approved"):
        assert action_withdraw_by_member(email=CONTACT, action_id=action.pk)


def preview_then_deliver(statement: Statement, *, mention_actions: bool) -> Delivery:
    """As an editor does: the preview (which builds and keeps the PDF for the counts of then), then
    the delivery."""
    plan = delivery_plan(
        actor=None, statement=statement, covering_text="Dear Minister, here is our statement.", mention_actions=True
    )
    assert all(recipient.attachment_size for recipient in plan.recipients)
    return deliver(statement, mention_actions=mention_actions)


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


@pytest.mark.django_db(transaction=True)
def test_an_action_withdrawn_before_the_send_leaves_the_mail_and_its_pdf_agreeing(
    statement, smtp_server, run_tasks, tmp_path
):
    approved_actions(statement)
    add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    delivery = preview_then_deliver(statement, mention_actions=True)
    assert (delivery.actions, delivery.action_countries) == (3, 2)
    withdraw(statement, country="ES")  # while the mails wait in the queue: 2 actions, in France only
    run_tasks()
    by_address = {message["To"]: message for message in smtp_server.messages}

    english = by_address["smith@gov.example"]
    assert mention_in("en", 2, 1) in text_of(english)
    assert "with 2 solidarity actions in 1 country; they are not part" in one_line(html_of(english))
    assert "3 solidarity actions" not in text_of(english) + html_of(english)
    pdf = pdf_of(english, tmp_path)
    assert actions_in_countries(2, 1) in pdf and actions_in_countries(3, 2) not in pdf
    french = by_address["dupont@gouv.example"]
    assert mention_in("fr", 2, 1) in text_of(french) and mention_in("fr", 3, 2) not in text_of(french)
    with translation.override("fr"):
        assert actions_in_countries(2, 1) in pdf_of(french, tmp_path)

    # The delivery keeps what its editor confirmed (and the audit says); each mail what it stated.
    delivery.refresh_from_db()
    assert (delivery.actions, delivery.action_countries, delivery.mail_mentions_actions) == (3, 2, True)
    assert AuditEvent.objects.get(action="deliveries.delivered").detail["actions"] == 3
    assert set(delivery.recipients.values_list("sent_actions", "sent_action_countries")) == {(2, 1)}


@pytest.mark.django_db(transaction=True)
def test_once_no_action_is_left_neither_the_mail_nor_its_pdf_mentions_them(statement, smtp_server, run_tasks, tmp_path):
    approved_actions(statement)
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    delivery = preview_then_deliver(statement, mention_actions=True)
    withdraw(statement, country="FR")
    withdraw(statement, country="ES")
    run_tasks()
    (message,) = smtp_server.messages
    mail = text_of(message) + html_of(message)
    assert "solidarity action" not in mail and "/actions/" not in mail
    assert "Dear Minister, here is our statement." in text_of(message)
    pdf = pdf_of(message, tmp_path)
    assert "Solidarity actions" not in pdf and actions_in_countries(3, 2) not in pdf
    assert "3 actions" not in pdf and "not part of the signature count" not in pdf
    assert delivery.recipients.values_list("sent_actions", "sent_action_countries").get() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_mail_sent_again_after_a_failure_states_the_counts_of_its_own_send(
    statement, smtp_server, settings, tmp_path
):
    """Hours may pass between a failed attempt and the one that succeeds: the mail that goes out
    states the actions of the moment it goes out, as the PDF attached to it does."""
    approved_actions(statement)
    add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
    delivery = preview_then_deliver(statement, mention_actions=True)
    recipient = delivery.recipients.get()
    port = settings.EMAIL_PORT
    with socket.socket() as probe:  # a loopback port that nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = int(probe.getsockname()[1])
    assert recipient_send(recipient_id=recipient.pk) == "retry"
    recipient.refresh_from_db()
    assert (recipient.status, recipient.sent_actions) == ("failed", None)

    withdraw(statement, country="ES")
    settings.EMAIL_PORT = port
    DeliveryRecipient.objects.filter(pk=recipient.pk).update(claimed_until=None)  # its retry is due
    assert recipient_send(recipient_id=recipient.pk) == "sent"
    (message,) = smtp_server.messages
    assert mention_in("en", 2, 1) in text_of(message)
    assert actions_in_countries(2, 1) in pdf_of(message, tmp_path)
    recipient.refresh_from_db()
    assert (recipient.attempts, recipient.sent_actions, recipient.sent_action_countries) == (2, 2, 1)


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
        assert "Each mail gives the number counted when it is sent, which its attached document shows too" in page
        sent = client.post(
            PAGE + "send/", {"covering_text": "Dear Minister,", "seen_deliveries": "0", "mention_actions": "True"}
        )
        assert sent.status_code == 302
        run_tasks()
        (message,) = smtp_server.messages
        assert text_of(message) == html.unescape(shown)
        assert Delivery.objects.get().mail_mentions_actions
        page = client.get(PAGE).content.decode()
        assert "The mail mentioned 3 solidarity actions." in page
        assert "as approved when it was sent" not in page and "approved any more" not in page

    @pytest.mark.django_db(transaction=True)
    def test_a_mail_sent_with_other_counts_says_so_in_its_row(self, client, statement, smtp_server, run_tasks):
        approved_actions(statement)
        add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
        preview_then_deliver(statement, mention_actions=True)
        withdraw(statement, country="ES")
        run_tasks()
        page = client.get(PAGE).content.decode()
        (row,) = re.findall(r'<tr class="recipient recipient--sent">(.*?)</tr>', page, re.S)
        assert "The mail and its PDF stated 2 actions in 1 country, as approved when it was sent." in row
        assert "The mail mentioned 3 solidarity actions." in page  # what the editor confirmed

    @pytest.mark.parametrize(
        ("mention", "sent", "note"),
        [
            (True, (0, 0), "No solidarity action was approved any more when this mail was sent"),
            (False, (0, 0), "No solidarity action was approved any more when this mail was sent"),
            (False, (4, 2), "Its PDF stated 4 actions in 2 countries, as approved when it was sent."),
            (True, (1, 1), "The mail and its PDF stated 1 action in 1 country, as approved when it was sent."),
        ],
    )
    def test_the_row_says_what_each_mail_stated_when_it_differs(self, client, statement, mention, sent, note):
        approved_actions(statement)
        add_target(statement, name="Minister Smith", email="smith@gov.example", language="en")
        add_target(statement, name="Minister Jones", email="jones@gov.example", language="en")
        deliver(statement, mention_actions=mention)
        # As ``recipient_send`` records a mail sent: the counts it stated (the delivery's are 3 in 2).
        sent_as = {"Minister Smith": sent, "Minister Jones": (3, 2)}
        for name, (actions, countries) in sent_as.items():
            DeliveryRecipient.objects.filter(name=name).update(
                status="sent", sent_at=timezone.now(), sent_actions=actions, sent_action_countries=countries
            )
        page = client.get(PAGE).content.decode()
        rows = dict(re.findall(r'<tr class="recipient recipient--sent">\s*<td>(Minister \w+)(.*?)</tr>', page, re.S))
        assert note in rows["Minister Smith"]
        assert "when it was sent" not in rows["Minister Jones"]  # as recorded: nothing to say

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
