"""Retention: the secretariat sets each statement's period; the statement page shows the date;
the purge deletes signers' and contacts' personal data after it, keeping every count."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from undersigned.core.models import AuditEvent
from undersigned.organisations.models import SignOn
from undersigned.privacy.selectors import ERASED_PREFIX, closing_time, retention_deadline
from undersigned.privacy.services import purge_expired
from undersigned.privacy.tests.conftest import assert_counts_are_honest, signed_on
from undersigned.signatures.models import Signature
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tests.conftest import build_open_statement, sign
from undersigned.statements.models import Statement
from undersigned.statements.presentation import long_date
from undersigned.statements.services import statement_close, statement_reopen, statement_set_window
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db


def retention_url(statement: Statement) -> str:
    return f"/staff/statements/{statement.slug}/retention/"


def purge_output(*arguments: str) -> str:
    out = StringIO()
    call_command("purge_expired", *arguments, stdout=out)
    return out.getvalue()


# --- The secretariat's page ---------------------------------------------------------------------


def test_the_secretariat_sets_the_period(client, open_statement, sam):
    statement = open_statement.statement
    staff_login(client, sam)
    page = client.get(retention_url(statement))
    assert page.status_code == 200
    assert 'value="90"' in page.content.decode()
    answer = client.post(retention_url(statement), {"retention_days": "30"})
    assert answer.status_code == 302
    statement.refresh_from_db()
    assert statement.retention_days == 30
    event = AuditEvent.objects.get(action="statement.retention_set")
    assert (event.actor, event.detail) == (sam, {"days": 30, "was": 90})
    assert "The retention period is saved." in client.get(answer.headers["Location"]).content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "Enter at least 1 day."),
        ("0", "Enter at least 1 day."),
        ("99999", "Enter at most 3650 days"),
        ("10" * 30, "Enter at most 3650 days"),
        ("ninety", "Enter a whole number of days"),
        ("9.5", "Enter a whole number of days"),
        ("", "Enter a number of days."),
    ],
)
def test_bad_periods_are_explained_and_change_nothing(client, open_statement, sam, value, message):
    staff_login(client, sam)
    answer = client.post(retention_url(open_statement.statement), {"retention_days": value})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    open_statement.statement.refresh_from_db()
    assert open_statement.statement.retention_days == 90
    assert not AuditEvent.objects.filter(action="statement.retention_set").exists()


def test_an_editor_of_the_statement_may_not_set_it(client, open_statement, libraries):
    staff_login(client, editor(libraries))
    assert client.get(retention_url(open_statement.statement)).status_code == 403
    assert client.post(retention_url(open_statement.statement), {"retention_days": "1"}).status_code == 403
    open_statement.statement.refresh_from_db()
    assert open_statement.statement.retention_days == 90


def test_a_visitor_is_sent_to_sign_in(client, open_statement):
    answer = client.get(retention_url(open_statement.statement))
    assert answer.status_code == 302
    assert "/accounts/" in answer.headers["Location"]


def test_the_form_needs_its_csrf_token(open_statement, sam):
    strict = Client(enforce_csrf_checks=True)
    staff_login(strict, sam)
    assert strict.post(retention_url(open_statement.statement), {"retention_days": "30"}).status_code == 403
    open_statement.statement.refresh_from_db()
    assert open_statement.statement.retention_days == 90


def test_an_unknown_statement_is_not_found(client, sam):
    staff_login(client, sam)
    assert client.get("/staff/statements/no-such-statement/retention/").status_code == 404


# --- The public line ----------------------------------------------------------------------------


def retention_line(client, statement: Statement) -> str:
    page = client.get(f"/statements/{statement.slug}/").content.decode()
    start = page.index('class="muted retention-notice"')
    return page[start : page.index("</p>", start)]


def test_an_open_statement_without_an_end_says_after_it_closes(client, open_statement):
    line = retention_line(client, open_statement.statement)
    assert "Signers' personal data is deleted 90 days after the statement closes." in line
    assert 'href="/your-data/"' in line


def test_a_closing_date_gives_the_date(client, open_statement):
    closes = timezone.now() + timedelta(days=10)
    statement_set_window(actor=None, statement=open_statement.statement, opens_at=None, closes_at=closes)
    expected = long_date((closes + timedelta(days=90)).date(), "en")
    assert f"is deleted on {expected} (90 days after the statement closes)" in retention_line(
        client, open_statement.statement
    )


def test_closing_by_hand_starts_the_period(client, open_statement):
    statement_set_window(
        actor=None, statement=open_statement.statement, opens_at=None, closes_at=timezone.now() + timedelta(days=300)
    )
    statement = statement_close(actor=None, statement=open_statement.statement)
    closed = closing_time(statement)
    assert closed is not None and closed < timezone.now() + timedelta(seconds=1)
    expected = long_date((timezone.now() + timedelta(days=90)).date(), "en")
    assert f"is deleted on {expected}" in retention_line(client, statement)


def test_reopening_starts_again(open_statement):
    statement = statement_close(actor=None, statement=open_statement.statement)
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        statement = statement_reopen(actor=None, statement=statement)
        assert closing_time(statement) is None
        statement = statement_close(actor=None, statement=statement)
        closed = closing_time(statement)
        assert closed is not None and closed > timezone.now() - timedelta(minutes=1)
        assert retention_deadline(statement) == closed + timedelta(days=90)


# --- The purge ----------------------------------------------------------------------------------


@pytest.fixture
def closed_with_signers(open_statement, sam):
    """A statement with two confirmed signers, a pending one and an approved sign-on, then closed."""
    sign(open_statement, email="ada@example.org", confirm=True, country="GB", wants_updates=True)
    sign(open_statement, email="bea@example.org", confirm=True, country="FR")
    sign(open_statement, email="cy@example.org", country="FR")
    signed_on(open_statement, contact_email="rosa@readers.example.org", approve_by=sam)
    statement_close(actor=None, statement=open_statement.statement)
    open_statement.statement.refresh_from_db()
    return open_statement.statement


def test_nothing_is_purged_before_the_deadline(closed_with_signers):
    with time_machine.travel(timezone.now() + timedelta(days=89), tick=False):
        assert purge_expired() == []
        assert "no statement is past its retention period" in purge_output("--dry-run")
    assert not Signature.objects.filter(email_hash__startswith=ERASED_PREFIX).exists()


def test_the_dry_run_lists_and_changes_nothing(closed_with_signers):
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        output = purge_output("--dry-run")
    assert f"{closed_with_signers.slug}: would clear 3 signature(s) and 1 sign-on contact(s)" in output
    assert not Signature.objects.filter(email_hash__startswith=ERASED_PREFIX).exists()
    assert not AuditEvent.objects.filter(action="statement.personal_data_purged").exists()
    closed_with_signers.refresh_from_db()
    assert closed_with_signers.personal_data_purged_at is None


def test_the_purge_deletes_personal_data_and_keeps_the_counts(client, closed_with_signers, mobility):
    other = build_open_statement(mobility, slug="safe-cycling-lanes")
    sign(other, email="ada@example.org", confirm=True)  # open, so kept
    before = tally_for_statement(closed_with_signers.pk, fresh=True)
    sign_ons_before = SignOn.objects.get(statement=closed_with_signers).status

    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        output = purge_output()
        assert f"{closed_with_signers.slug}: cleared 3 signature(s) and 1 sign-on contact(s)" in output
        line = retention_line(client, closed_with_signers)

    for signature in Signature.objects.filter(statement=closed_with_signers):
        assert signature.email_hash.startswith(ERASED_PREFIX)
        assert (bytes(signature.sealed_contact), signature.display_name, signature.network_hash) == (b"", "", "")
        assert not signature.wants_updates
    assert Signature.objects.filter(statement=closed_with_signers, status=Signature.Status.CONFIRMED).count() == 2
    assert tally_for_statement(closed_with_signers.pk, fresh=True) == before
    assert before.by_country == {"GB": 1, "FR": 1}
    sign_on = SignOn.objects.get(statement=closed_with_signers)
    assert sign_on.contact_email_hash.startswith(ERASED_PREFIX)
    assert (bytes(sign_on.sealed_contact), sign_on.status) == (b"", sign_ons_before)
    assert not Signature.objects.get(statement=other.statement).email_hash.startswith(ERASED_PREFIX)
    assert "Signers' personal data has been deleted." in line
    (event,) = AuditEvent.objects.filter(action="statement.personal_data_purged")
    assert (event.subject_id, event.detail["signatures"], event.detail["sign_ons"]) == (closed_with_signers.pk, 3, 1)
    assert "@" not in json.dumps(event.detail)
    assert_counts_are_honest()


def test_a_purged_statement_is_not_purged_again(closed_with_signers):
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        assert len(purge_expired()) == 1
    with time_machine.travel(timezone.now() + timedelta(days=92), tick=False):
        assert purge_expired() == []
        assert "no statement is past its retention period" in purge_output("--dry-run")
    assert AuditEvent.objects.filter(action="statement.personal_data_purged").count() == 1


def test_a_closing_date_that_has_passed_is_a_closing(open_statement):
    sign(open_statement, email="ada@example.org", confirm=True)
    statement_set_window(
        actor=None, statement=open_statement.statement, opens_at=None, closes_at=timezone.now() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=1 + 30), tick=False):
        assert purge_expired() == []
    with time_machine.travel(timezone.now() + timedelta(days=1 + 91), tick=False):
        (outcome,) = purge_expired()
    assert (outcome.statement, outcome.signatures) == (open_statement.statement.slug, 1)


def test_a_shorter_period_brings_the_purge_forward(closed_with_signers, sam):
    from undersigned.privacy.services import statement_set_retention

    statement_set_retention(actor=sam, statement=closed_with_signers, days=7)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        (outcome,) = purge_expired()
    assert outcome.signatures == 3


def test_the_purge_works_in_batches(closed_with_signers, monkeypatch):
    from undersigned.privacy import services

    monkeypatch.setattr(services, "PURGE_BATCH", 2)
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        (outcome,) = purge_expired()
    assert outcome.signatures == 3
    assert not Signature.objects.exclude(email_hash__startswith=ERASED_PREFIX).exists()


def test_a_purged_statement_cannot_take_signatures_again(closed_with_signers):
    from undersigned.core.exceptions import DomainError

    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        purge_expired()
    # Nothing tells any more who signed: reopening would let every address be counted twice.
    for change in (
        lambda: statement_reopen(actor=None, statement=closed_with_signers),
        lambda: statement_set_window(
            actor=None, statement=closed_with_signers, opens_at=None, closes_at=timezone.now() + timedelta(days=30)
        ),
    ):
        with pytest.raises(DomainError) as refused:
            change()
        assert refused.value.code == "purged"
    closed_with_signers.refresh_from_db()
    assert closed_with_signers.status == Statement.Status.CLOSED


def test_the_purge_deletes_queued_mail_too_old_to_be_sent_and_keeps_the_rest():
    from undersigned.notifications.models import OutgoingMail
    from undersigned.notifications.services import MAIL_MAX_AGE, mail_enqueue

    def queued(age: timedelta) -> OutgoingMail:
        with time_machine.travel(timezone.now() - age):
            return mail_enqueue(name="signature_confirm", to="a@example.org", language="en", context={})

    stale = queued(MAIL_MAX_AGE + timedelta(minutes=1))
    recent = queued(MAIL_MAX_AGE - timedelta(hours=1))

    purge_expired(dry_run=True)
    assert OutgoingMail.objects.filter(pk=stale.pk).exists()  # a dry run changes nothing

    purge_expired()
    assert list(OutgoingMail.objects.values_list("pk", flat=True)) == [recent.pk]
