"""Defences against a script that fetched the sign form once: one drawn form carries a few
signatures from one network and lives an hour; a surge of sign requests switches the proof of
work on for an hour and tells the people who manage the statement."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.core.models import AuditEvent
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, SignerInput, signature_submit
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, form_data
from undersigned.statements.models import Statement
from undersigned.testing import drawn_form_token, editor

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def sign(target: OpenStatement, email: str, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "statement": target.statement,
        "revision_id": target.revision.pk,
        "signer": SignerInput(name="Ana Pérez", email=email, country="FR"),
        "started": SIGN_FORM_TIMER.started_token(drawn_at=time.time() - 10),
        "honeypot": "",
        "proof_of_work_answer": "",
        "network_hash": "a" * 64,
        "network_country": None,
        "language": "en",
        **overrides,
    }
    signature_submit(**values)


def test_one_drawn_form_carries_three_signatures_from_one_network(target):
    form = SIGN_FORM_TIMER.started_token(drawn_at=time.time() - 10)
    for number in range(3):
        sign(target, f"person{number}@example.org", started=form)
    with pytest.raises(DomainError) as refused:
        sign(target, "person3@example.org", started=form)
    assert refused.value.code == TOO_FAST
    assert "already used to sign several times" in refused.value.message
    # The same drawn form from another network, or a new form from this one, still signs.
    sign(target, "person4@example.org", started=form, network_hash="b" * 64)
    sign(target, "person5@example.org", started=SIGN_FORM_TIMER.started_token(drawn_at=time.time() - 11))
    assert Signature.objects.count() == 5


def test_a_form_drawn_more_than_an_hour_ago_is_drawn_again(target):
    with pytest.raises(DomainError) as refused:
        sign(target, "late@example.org", started=SIGN_FORM_TIMER.started_token(drawn_at=time.time() - 3601))
    assert refused.value.code == TOO_FAST
    assert "open for more than an hour" in refused.value.message
    sign(target, "late@example.org", started=SIGN_FORM_TIMER.started_token(drawn_at=time.time() - 3500))


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_a_surge_switches_the_proof_of_work_on_for_an_hour_and_tells_the_editors(
    target, rate_limit, smtp_server, run_tasks
):
    rate_limit("sign.statement", 5)
    eli = editor(target.commission)
    with time_machine.travel(time.time(), tick=False) as clock:
        for number in range(5):
            sign(target, f"person{number}@example.org", network_hash=f"{number}" * 64)
        statement = Statement.objects.get(pk=target.statement.pk)
        assert statement.needs_proof_of_work() and not statement.requires_proof_of_work
        assert statement.proof_of_work_surge_until == timezone.now() + timedelta(hours=1)

        with pytest.raises(DomainError) as refused:
            sign(target, "bot@example.org", statement=statement, network_hash="f" * 64)
        assert refused.value.code == "proof_of_work_required"

        run_tasks()
        to_editors = [message for message in smtp_server.messages if "Proof of work switched on" in message["Subject"]]
        assert [message["To"] for message in to_editors] == [eli.email]
        assert AuditEvent.objects.filter(action="statement.proof_of_work_surge", subject_id=statement.pk).count() == 1

        # Once it has calmed for an hour, it lapses.
        clock.shift(timedelta(hours=1, seconds=1))
        statement.refresh_from_db()
        assert not statement.needs_proof_of_work()
    assert AuditEvent.objects.filter(action="statement.proof_of_work_surge").count() == 1


def test_a_flood_that_never_solves_the_proof_of_work_keeps_it_on(target, rate_limit):
    rate_limit("sign.statement", 5)
    with time_machine.travel(time.time(), tick=False) as clock:
        for number in range(5):
            sign(target, f"person{number}@example.org", network_hash=f"{number}" * 64)
        first_until = Statement.objects.get(pk=target.statement.pk).proof_of_work_surge_until
        assert first_until is not None
        clock.shift(timedelta(minutes=40))  # a new ten-minute window, with less than half an hour left
        statement = Statement.objects.get(pk=target.statement.pk)
        for number in range(5):
            with pytest.raises(DomainError):
                sign(target, f"bot{number}@example.org", statement=statement, network_hash=f"b{number}" * 32)
        renewed = Statement.objects.get(pk=target.statement.pk).proof_of_work_surge_until
        assert renewed is not None and renewed > first_until
    # Renewed, not switched on again: one audit event, one mail round.
    assert AuditEvent.objects.filter(action="statement.proof_of_work_surge").count() == 1


def test_the_sign_page_asks_for_the_proof_of_work_during_a_surge(client, target):
    Statement.objects.filter(pk=target.statement.pk).update(
        proof_of_work_surge_until=timezone.now() + timedelta(minutes=30)
    )
    from undersigned.statements.selectors import forget_all_statements

    forget_all_statements()
    page = client.get(f"/statements/{target.statement.slug}/").content.decode()
    assert "needs JavaScript for a short automatic check against bots" in page


def test_an_address_gets_at_most_ten_mails_a_day_from_all_the_forms_together(client, target, rate_limit):
    from undersigned.notifications.models import OutgoingMail
    from undersigned.privacy.services import DATA_LINK_FORM_TIMER, data_link_request

    rate_limit("data_link.address", 100)
    rate_limit("data_link.address.daily", 100)
    rate_limit("sign.address.statement", 100)
    victim = "victim@example.org"
    for number in range(5):  # five signature requests from five networks: pending, resent a few times
        sign(target, victim, network_hash=f"{number}" * 64)
    for number in range(5):
        data_link_request(
            email=victim,
            started=drawn_form_token(DATA_LINK_FORM_TIMER),
            honeypot="",
            network_hash=f"{number}" * 64,
            language="en",
        )
    with pytest.raises(DomainError) as refused:
        sign(target, victim.upper(), network_hash="9" * 64)
    assert refused.value.code == "too_many_mails" and refused.value.status == 429
    mails_before = OutgoingMail.objects.count()

    page = client.post(target.sign_url, form_data(target.revision, email=victim))
    assert page.status_code == 429
    assert "We have already sent several emails to this address today" in page.content.decode()
    assert OutgoingMail.objects.count() == mails_before
    # Another address is not affected.
    sign(target, "someone.else@example.org", network_hash="9" * 64)


def test_forms_that_send_nothing_leave_the_address_s_daily_mail_budget_alone(target, rate_limit):
    """Typing someone's address into the your-data or member sign-in form, when the server holds
    nothing for it, sends no mail: it must not spend that person's mails for the day, or anyone
    could stop them from signing."""
    from undersigned.notifications.models import OutgoingMail
    from undersigned.organisations.services.members import member_sign_in_request
    from undersigned.privacy.services import DATA_LINK_FORM_TIMER, data_link_request

    for rule in ("data_link.address", "data_link.address.daily", "member_sign_in.address", "member_sign_in.network"):
        rate_limit(rule, 100)
    victim = "victim@example.org"
    for number in range(12):
        data_link_request(
            email=victim,
            started=drawn_form_token(DATA_LINK_FORM_TIMER),
            honeypot="",
            network_hash=f"{number:02d}" * 32,
            language="en",
        )
        member_sign_in_request(email=victim, network_hash=f"{number:02d}" * 32, language="en")
    assert OutgoingMail.objects.count() == 0

    sign(target, victim, network_hash="9" * 64)  # the victim can still sign, and gets the mail
    assert OutgoingMail.objects.count() == 1


def test_a_data_link_for_an_unknown_address_answers_too_many_mails_like_a_known_one(target, rate_limit):
    """Once an address's mails for the day are spent, the your-data form says so whether or not
    the server holds records for it: the answer must not tell which."""
    from undersigned.privacy.services import DATA_LINK_FORM_TIMER, data_link_request

    rate_limit("mail.recipient.daily", 1)
    for email in ("known@example.org", "unknown@example.org"):
        data_link_request(
            email=email,
            started=drawn_form_token(DATA_LINK_FORM_TIMER),
            honeypot="",
            network_hash="1" * 64,
            language="en",
        )
    sign(target, "known@example.org", network_hash="2" * 64)  # spends nothing yet: known had no records
    from undersigned.core import ratelimit
    from undersigned.notifications.services import recipient_check

    ratelimit.allow(recipient_check("unknown@example.org"))  # another form mailed the unknown address
    for email in ("known@example.org", "unknown@example.org"):
        with pytest.raises(DomainError) as refused:
            data_link_request(
                email=email,
                started=drawn_form_token(DATA_LINK_FORM_TIMER),
                honeypot="",
                network_hash="3" * 64,
                language="en",
            )
        assert refused.value.code == "too_many_mails"


def test_the_api_says_when_to_try_again_after_too_many_mails(client, target, rate_limit):
    rate_limit("mail.recipient.daily", 0)
    response = client.post(
        f"/api/v1/statements/{target.statement.slug}/signatures",
        {
            "name": "Someone",
            "email": "victim@example.org",
            "country": "FR",
            "revision": target.revision.pk,
            "started": drawn_form_token(SIGN_FORM_TIMER),
        },
        content_type="application/json",
    )
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "too_many_mails"
    assert 0 < int(response["Retry-After"]) <= 86400
