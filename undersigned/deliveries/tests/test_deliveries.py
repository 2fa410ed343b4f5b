"""Targets, deliveries and their mails (real SMTP on loopback, the PDF read back), responses."""

from __future__ import annotations

import smtplib

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from undersigned.core.exceptions import DomainError
from undersigned.deliveries import services
from undersigned.deliveries.models import Delivery, DeliveryRecipient, Response, Target
from undersigned.deliveries.services import (
    MAX_ATTEMPTS,
    ResponseInput,
    TargetInput,
    delivery_create,
    delivery_plan,
    recipient_send,
    response_record,
    target_add,
)
from undersigned.deliveries.tests.conftest import add_target
from undersigned.ledger.models import LedgerEntry, PendingEvent
from undersigned.ledger.services import seal_pending
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db


def deliver(statement, *, again_today: bool = False, text: str = "Dear Minister, here is our statement."):
    seen = Delivery.objects.filter(statement=statement).count()
    return delivery_create(
        actor=None, statement=statement, covering_text=text, seen_deliveries=seen, again_today=again_today
    )


def pdf_attachments(message):
    return [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]


# Committed for real: the worker may close its connection between tasks (it closes one on which a
# query failed), which the open transaction of an ordinary test would not survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_each_target_gets_a_mail_in_their_language_with_the_pdf(statement, smtp_server, run_tasks):
    add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    add_target(statement, name="Ministra García", email="garcia@gob.example", language="es")
    delivery = deliver(statement)
    run_tasks()
    assert sorted(DeliveryRecipient.objects.values_list("status", flat=True)) == ["sent", "sent"]
    by_address = {message["To"]: message for message in smtp_server.messages}
    assert set(by_address) == {"dupont@gouv.example", "garcia@gob.example"}
    french = by_address["dupont@gouv.example"]
    assert "Dear Minister, here is our statement." in smtp_server.text_of(french)
    (attachment,) = pdf_attachments(french)
    assert attachment.get_filename() == "library-opening-hours-signed-statement-fr.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    # No Spanish text: the original, and the mail says so.
    spanish = by_address["garcia@gob.example"]
    (attachment,) = pdf_attachments(spanish)
    assert attachment.get_filename() == "library-opening-hours-signed-statement-en.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    recipient = DeliveryRecipient.objects.get(delivery=delivery, language="es")
    assert recipient.text_language == "en" and recipient.sent_at is not None and recipient.sealed_email == b""


def test_a_delivery_is_one_ledger_event_without_addresses(statement):
    add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    delivery = deliver(statement)
    event = PendingEvent.objects.get(kind="statement.delivered")
    assert event.subject == delivery.public_id
    assert event.detail == {
        "targets": [{"name": "Ministre Dupont", "role": "Minister", "organisation": "Government"}],
        "signatures": 0,
        "organisations": 0,
        "revision": 1,
        "language": "en",
    }
    seal_pending()
    entry = LedgerEntry.objects.get(kind="statement.delivered")
    assert "gouv.example" not in str(entry.detail)


def test_the_address_is_kept_encrypted(statement):
    target = add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    assert b"dupont" not in bytes(Target.objects.get(pk=target.pk).sealed_email)
    assert services.target_email(target) == "dupont@gouv.example"


@pytest.mark.parametrize("email", ["dupont@", "dupont@gouv", "not an address", ""])
def test_a_target_address_that_is_not_one_is_refused(statement, email):
    with pytest.raises(DomainError) as refused:
        target_add(
            actor=None,
            statement=statement,
            target=TargetInput(name="Dupont", role="", organisation="", email=email, language="fr"),
        )
    assert refused.value.code == "bad_email"
    assert not Target.objects.exists()


def test_an_empty_covering_text_is_refused(statement):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    with pytest.raises(DomainError) as refused:
        deliver(statement, text="   \n ")
    assert refused.value.code == "empty_covering_text"
    assert not Delivery.objects.exists() and not PendingEvent.objects.filter(kind="statement.delivered").exists()


def test_a_second_delivery_the_same_day_needs_confirming(statement):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        deliver(statement)
        with pytest.raises(DomainError) as refused:
            deliver(statement)
        assert refused.value.code == "delivered_today"
        assert Delivery.objects.count() == 1
        deliver(statement, again_today=True)
    with time_machine.travel("2026-03-03 09:00Z", tick=False):
        deliver(statement)
    assert list(Delivery.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_a_confirmation_from_a_stale_preview_sends_nothing(statement):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    deliver(statement)
    with pytest.raises(DomainError) as refused:
        delivery_create(actor=None, statement=statement, covering_text="Again", seen_deliveries=0, again_today=True)
    assert refused.value.code == "delivered_meanwhile"
    assert DeliveryRecipient.objects.count() == 1


@pytest.mark.parametrize("seen, again_today", [(0, True), (1, False)])
def test_a_refused_delivery_leaves_the_ledger_as_it_was(statement, seen, again_today):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    deliver(statement)  # its ledger event waits to be sealed
    pending, sealed = PendingEvent.objects.count(), LedgerEntry.objects.count()
    assert pending
    with pytest.raises(DomainError):
        delivery_create(
            actor=None, statement=statement, covering_text="Again", seen_deliveries=seen, again_today=again_today
        )
    assert (PendingEvent.objects.count(), LedgerEntry.objects.count()) == (pending, sealed)


def test_the_preview_shows_the_mail_and_the_fallback(statement):
    add_target(statement, name="Ministra García", email="garcia@gob.example", language="es")
    plan = delivery_plan(actor=None, statement=statement, covering_text="Estimada ministra")
    (recipient,) = plan.recipients
    assert recipient.falls_back and recipient.text_language == "en"
    assert recipient.message.to == ["garcia@gob.example"]
    assert "Estimada ministra" in recipient.message.body
    assert recipient.attachment_name.endswith("-en.pdf") and recipient.attachment_size
    assert not Delivery.objects.exists()


def test_a_failing_mail_server_is_tried_again_then_given_up(statement, smtp_server, monkeypatch, settings):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    deliver(statement)
    recipient = DeliveryRecipient.objects.get()

    def refuse(message):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(services, "send_mail_now", refuse)
    assert recipient_send(recipient_id=recipient.pk) == "retry"
    recipient.refresh_from_db()
    assert (recipient.status, recipient.attempts, recipient.last_error) == ("failed", 1, "SMTPServerDisconnected")
    # Held until the retry: an early run does nothing.
    assert recipient_send(recipient_id=recipient.pk) == "held"
    for _attempt in range(2, MAX_ATTEMPTS + 1):
        DeliveryRecipient.objects.filter(pk=recipient.pk).update(claimed_until=None)
        outcome = recipient_send(recipient_id=recipient.pk)
    assert outcome == "given up"
    recipient.refresh_from_db()
    assert (recipient.status, recipient.attempts, recipient.sealed_email) == ("given_up", MAX_ATTEMPTS, b"")
    assert recipient_send(recipient_id=recipient.pk) == "done"
    assert smtp_server.messages == []


def test_a_response_is_shown_on_the_statement_page(statement, client):
    target = add_target(statement, name="Ministre Dupont", email="dupont@gouv.example", language="fr")
    deliver(statement)
    from datetime import date

    response_record(
        actor=None,
        statement=statement,
        response=ResponseInput(
            target_id=target.pk,
            who="",
            responded_on=date(2026, 3, 5),
            text="Nous étudierons vos demandes.",
            link="",
            language="fr",
        ),
    )
    page = client.get("/statements/library-opening-hours/en/").content.decode()
    assert "Delivered to Ministre Dupont, Minister on" in page
    assert "with 0 signatures and 0 organisations." in page
    assert "Nous étudierons vos demandes." in page and "Ministre Dupont, Minister" in page
    assert "dupont@gouv.example" not in page


@pytest.mark.parametrize(
    ("who", "text", "link", "code"),
    [
        ("", "Text", "", "no_who"),
        ("Minister", "", "", "empty_response"),
        ("Minister", "", "ftp://x.example", "bad_link"),
    ],
)
def test_a_response_needs_who_and_what(statement, who, text, link, code):
    from datetime import date

    with pytest.raises(DomainError) as refused:
        response_record(
            actor=None,
            statement=statement,
            response=ResponseInput(
                target_id=None, who=who, responded_on=date(2026, 1, 1), text=text, link=link, language="en"
            ),
        )
    assert refused.value.code == code
    assert not Response.objects.exists()


def test_the_statement_page_reads_the_record_once_for_many_readers(statement, client, django_assert_max_num_queries):
    add_target(statement, name="Dupont", email="dupont@gouv.example", language="fr")
    deliver(statement)
    cache.clear()
    client.get("/statements/library-opening-hours/")
    with django_assert_max_num_queries(4):
        assert "Delivered to Dupont" in client.get("/statements/library-opening-hours/").content.decode()


class TestStaffPages:
    def test_bad_input_is_shown_on_the_page_and_changes_nothing(self, statement, libraries):
        client = Client()
        staff_login(client, editor(libraries))
        url = "/staff/statements/library-opening-hours/delivery/"
        answer = client.post(url + "targets/", {"name": "Dupont", "email": "dupont@gouv", "language": "fr"})
        assert answer.status_code == 400
        assert "field--invalid" in answer.content.decode() and "valid email address" in answer.content.decode()
        answer = client.post(url + "preview/", {"covering_text": " "})
        assert answer.status_code == 400
        assert not Target.objects.exists() and not Delivery.objects.exists()

    @pytest.mark.django_db(transaction=True)
    def test_an_editor_adds_a_target_previews_and_delivers(self, statement, libraries, smtp_server, run_tasks):
        client = Client()
        staff_login(client, editor(libraries))
        url = "/staff/statements/library-opening-hours/delivery/"
        answer = client.post(
            url + "targets/",
            {"name": "Ministra García", "role": "Ministra", "email": "garcia@gob.example", "language": "es"},
        )
        assert answer.status_code == 302
        preview = client.post(url + "preview/", {"covering_text": "Estimada ministra:"})
        page = preview.content.decode()
        assert preview.status_code == 200 and "garcia@gob.example" in page and "Estimada ministra:" in page
        assert "has no published text in" in page and "library-opening-hours-signed-statement-en.pdf" in page
        assert not Delivery.objects.exists()
        answer = client.post(url + "send/", {"covering_text": "Estimada ministra:", "seen_deliveries": "0"})
        assert answer.status_code == 302
        # The same preview confirmed again (a second click, or another editor): nothing more is sent.
        again = client.post(url + "send/", {"covering_text": "Estimada ministra:", "seen_deliveries": "0"})
        assert again.status_code == 302 and Delivery.objects.count() == 1
        run_tasks()
        assert len(smtp_server.messages) == 1
        assert "sent" in client.get(url).content.decode()
