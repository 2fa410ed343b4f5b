"""Signing, confirming and withdrawing through the services: stored once, sealed, counted exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from undersigned.core.crypto import open_sealed
from undersigned.core.exceptions import DomainError
from undersigned.notifications.models import OutgoingMail
from undersigned.notifications.services import RESEND_AFTER
from undersigned.sealing.models import Trustee
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import (
    MAX_MAILS_PER_SIGNATURE,
    SignerInput,
    display_name_for,
    signature_confirm,
    signature_submit,
    signature_withdraw,
)
from undersigned.signatures.tallies import Tally, tally_differences, tally_for_statement
from undersigned.signatures.tests.conftest import started_token
from undersigned.statements.models import Revision, Statement
from undersigned.statements.services import statement_close, statement_set_window, statement_withdraw
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import trustee_for

pytestmark = pytest.mark.django_db

ANA = "Ana.Lopez@Example.org"
NETWORK = "0" * 64


@pytest.fixture
def identity(libraries):
    """The private key of one of the issuing body's trustees, as a trustee keeps it off the server."""
    return trustee_for(libraries, name="Tom Trustee")[1]


@pytest.fixture
def statement(libraries, identity):
    return published_statement(libraries, translations=())


def revision_of(statement: Statement) -> Revision:
    revision = statement.texts.get(language="en").published_revision
    assert revision is not None
    return revision


def submit(statement: Statement, *, email: str = ANA, revision: Revision | None = None, **signer: object) -> None:
    signer = {"name": "Ana María López", "country": "FR", **signer}
    signature_submit(
        statement=statement,
        revision_id=(revision or revision_of(statement)).pk,
        signer=SignerInput(email=email, **signer),
        started=started_token(),
        honeypot="",
        proof_of_work_answer="",
        network_hash=NETWORK,
        network_country=None,
        language="en",
    )


def signature_of(statement: Statement) -> Signature:
    return Signature.objects.get(statement=statement)


def confirm(signature: Signature) -> Signature:
    return signature_confirm(signature_id=signature.pk, statement_id=signature.statement_id)


def withdraw(signature: Signature) -> bool:
    return signature_withdraw(signature_id=signature.pk, statement_id=signature.statement_id)


def tally(statement: Statement) -> Tally:
    # The tally is cached for a few seconds and forgotten when a transaction commits, which tests
    # inside one rolled-back transaction never do: read the counters afresh.
    cache.clear()
    return tally_for_statement(statement.pk)


def counted(statement: Statement) -> int:
    return tally(statement).total


def contact_of(signature: Signature, identity: str) -> dict[str, object]:
    return json.loads(open_sealed(bytes(signature.sealed_contact), identity))


def test_signing_stores_one_pending_signature_sealed_for_the_trustees(statement, identity):
    submit(statement, city="Lyon", affiliation="University of Lyon", wants_updates=True)

    signature = signature_of(statement)
    assert signature.status == Signature.Status.PENDING
    assert signature.revision == revision_of(statement)
    assert str(signature.country) == "FR"
    assert signature.display_name == "Ana María López"
    assert signature.wants_updates is True
    assert signature.confirmed_at is None
    assert signature.mails_sent == 1
    contact = contact_of(signature, identity)
    assert contact["name"] == "Ana María López"
    assert contact["email"] == ANA
    assert contact["city"] == "Lyon"
    assert contact["affiliation"] == "University of Lyon"
    assert counted(statement) == 0


def test_a_trustee_of_another_body_cannot_open_the_contact(statement, mobility):
    _, stranger = trustee_for(mobility, name="Sol Stranger")
    submit(statement)
    with pytest.raises(Exception):  # noqa: B017, PT011  (pyrage's own DecryptError)
        open_sealed(bytes(signature_of(statement).sealed_contact), stranger)


def test_the_address_and_a_hidden_name_are_not_stored_in_the_clear(statement):
    submit(statement, name="Ana María López", name_shown=Signature.NameShown.HIDDEN, city="Lyon")

    signature = signature_of(statement)
    secrets = [ANA, ANA.lower(), "ana.lopez", "Ana María", "López", "Lyon"]
    for field in Signature._meta.concrete_fields:
        value = getattr(signature, field.attname)
        stored = bytes(value) if isinstance(value, memoryview | bytes) else str(value).encode()
        for secret in secrets:
            assert secret.encode() not in stored, f"{secret!r} in the clear in {field.name}"
    for mail in OutgoingMail.objects.all():
        assert b"ana.lopez" not in bytes(mail.sealed_message).lower()


@pytest.mark.parametrize(
    ("name", "shown", "display_name"),
    [
        ("Ana María López", Signature.NameShown.FULL, "Ana María López"),
        ("  Ana   María\tLópez ", Signature.NameShown.FULL, "Ana María López"),
        ("Ana María López", Signature.NameShown.INITIAL, "Ana L."),
        ("Ana López", Signature.NameShown.INITIAL, "Ana L."),
        ("Ana", Signature.NameShown.INITIAL, "Ana"),
        # The initial comes from the family name in any script; emoji are not names.
        ("ليلى بن علي 🌿", Signature.NameShown.INITIAL, "ليلى ع."),
        ("🌿 Ana López", Signature.NameShown.INITIAL, "Ana L."),
        ("Ana 🌿", Signature.NameShown.INITIAL, "Ana"),
        ("Nguyễn Thị Ánh", Signature.NameShown.INITIAL, "Nguyễn Á."),
        ("Ánh", Signature.NameShown.INITIAL, "Ánh"),
        ("अनीता शर्मा", Signature.NameShown.INITIAL, "अनीता श."),
        ("ليلى بن علي 🌿", Signature.NameShown.FULL, "ليلى بن علي 🌿"),
        ("Ana María López", Signature.NameShown.HIDDEN, ""),
    ],
)
def test_display_name_is_what_the_signer_chose_to_show(name, shown, display_name):
    assert display_name_for(name, shown) == display_name


def test_signing_again_with_the_same_address_in_any_spelling_adds_no_row_and_resends_a_few_times(statement, rate_limit):
    # More tries than the address's rate limit allows: this is about what each accepted try stores.
    rate_limit("sign.address.statement", 100)
    spellings = [
        "ana.lopez@gmail.com",
        "AnaLopez@gmail.com",
        " ana.lopez+statement@googlemail.com ",
        "A.N.A.L.O.P.E.Z@GMAIL.COM",
        "analopez+again@gmail.com",
        "analopez@googlemail.com",
    ]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for email in spellings:
            submit(statement, email=email)
            clock.shift(RESEND_AFTER + timedelta(seconds=1))  # not a double click: asked again later

    signature = signature_of(statement)
    assert signature.status == Signature.Status.PENDING
    assert signature.mails_sent == MAX_MAILS_PER_SIGNATURE
    assert OutgoingMail.objects.filter(template="signature_confirm").count() == MAX_MAILS_PER_SIGNATURE
    assert OutgoingMail.objects.count() == MAX_MAILS_PER_SIGNATURE


def test_signing_again_after_confirming_sends_the_already_confirmed_mail(statement):
    submit(statement)
    confirm(signature_of(statement))

    with time_machine.travel(timezone.now() + RESEND_AFTER + timedelta(seconds=1)):
        submit(statement, email=ANA.upper())

    assert Signature.objects.count() == 1
    assert signature_of(statement).status == Signature.Status.CONFIRMED
    templates = list(OutgoingMail.objects.order_by("created_at").values_list("template", flat=True))
    assert templates == ["signature_confirm", "signature_already_confirmed"]
    assert counted(statement) == 1


def test_a_form_sent_twice_at_once_sends_one_mail_and_a_later_try_another(statement):
    """A double click, or a second tap on a slow phone: one mail, and both answers alike."""
    submit(statement)
    submit(statement)
    assert OutgoingMail.objects.count() == 1
    assert signature_of(statement).mails_sent == 1

    with time_machine.travel(timezone.now() + RESEND_AFTER + timedelta(seconds=1)):
        submit(statement)  # no mail after a few minutes: signing again sends it once more
    assert OutgoingMail.objects.count() == 2


def test_confirming_twice_counts_once(statement):
    submit(statement)
    signature = signature_of(statement)

    first = confirm(signature)
    second = confirm(signature)

    assert first.status == second.status == Signature.Status.CONFIRMED
    assert second.confirmed_at == first.confirmed_at
    assert tally(statement).by_country == {"FR": 1}
    assert tally_differences() == []


def test_confirming_with_another_statements_id_changes_nothing(statement, mobility):
    other = published_statement(mobility, slug="other-statement", translations=())
    submit(statement)
    signature = signature_of(statement)

    with pytest.raises(DomainError) as refused:
        signature_confirm(signature_id=signature.pk, statement_id=other.pk)

    assert refused.value.status == 404
    assert signature_of(statement).status == Signature.Status.PENDING
    assert counted(statement) == counted(other) == 0


def test_withdrawing_a_confirmed_signature_lowers_the_tally_and_deletes_the_contact(statement):
    submit(statement, wants_updates=True)
    signature = confirm(signature_of(statement))
    assert counted(statement) == 1

    assert withdraw(signature) is True

    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert bytes(signature.sealed_contact) == b""
    assert signature.display_name == ""
    assert signature.wants_updates is False
    assert signature.withdrawn_at is not None
    assert counted(statement) == 0
    assert withdraw(signature) is False
    assert counted(statement) == 0
    assert tally_differences() == []


def test_confirming_a_withdrawn_signature_is_refused(statement):
    submit(statement)
    signature = signature_of(statement)
    withdraw(signature)

    with pytest.raises(DomainError) as refused:
        confirm(signature)

    assert refused.value.code == "withdrawn"
    assert counted(statement) == 0


def test_signing_again_after_withdrawing_starts_a_new_pending_signature(statement, identity):
    submit(statement)
    withdraw(confirm(signature_of(statement)))

    submit(statement, name="Ana López", country="ES", city="Madrid")

    signature = signature_of(statement)
    assert signature.status == Signature.Status.PENDING
    assert signature.withdrawn_at is None
    assert str(signature.country) == "ES"
    assert signature.mails_sent == 1
    assert contact_of(signature, identity)["city"] == "Madrid"
    assert counted(statement) == 0

    confirm(signature)
    assert tally(statement).by_country == {"ES": 1}
    assert tally_differences() == []


def test_a_statement_whose_issuing_body_has_no_trustee_refuses_to_store(statement, libraries):
    Trustee.objects.filter(commission=libraries).update(is_active=False)

    with pytest.raises(DomainError) as refused:
        submit(statement)

    assert refused.value.code == "no_trustee"
    assert refused.value.status == 503
    assert Signature.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def _close(statement: Statement) -> None:
    statement_close(actor=None, statement=statement)


def _withdraw(statement: Statement) -> None:
    statement_withdraw(actor=None, statement=statement)


def _not_open_yet(statement: Statement) -> None:
    statement_set_window(actor=None, statement=statement, opens_at=timezone.now() + timedelta(days=2), closes_at=None)


def _past_closing(statement: Statement) -> None:
    statement_set_window(
        actor=None,
        statement=statement,
        opens_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(days=1),
    )


@pytest.mark.parametrize("change", [_close, _withdraw, _not_open_yet, _past_closing])
def test_a_statement_that_is_not_open_refuses_signatures(statement, change):
    change(statement)
    statement.refresh_from_db()

    with pytest.raises(DomainError) as refused:
        submit(statement)

    assert refused.value.code == "not_open"
    assert Signature.objects.count() == 0


def test_a_revision_of_another_statement_is_refused(statement, mobility):
    other = published_statement(mobility, slug="other-statement", translations=())

    with pytest.raises(DomainError) as refused:
        submit(statement, revision=revision_of(other))

    assert refused.value.code == "wrong_revision"
    assert Signature.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_the_tally_never_counts_pending_or_withdrawn_signatures(statement):
    signers = [
        ("ana@example.org", "FR"),
        ("ben@example.org", "DE"),
        ("cleo@example.org", "DE"),
        ("dan@example.org", "FR"),
        ("eve@example.org", "KE"),
    ]
    for email, country in signers:
        submit(statement, email=email, country=country)
    by_address = {
        email: Signature.objects.get(statement=statement, email_hash=email_hash(email)) for email, _ in signers
    }
    confirm(by_address["ana@example.org"])
    confirm(by_address["ben@example.org"])
    confirm(by_address["cleo@example.org"])
    withdraw(by_address["cleo@example.org"])  # confirmed, then withdrawn
    withdraw(by_address["dan@example.org"])  # withdrawn while pending
    # eve@ stays pending

    assert tally(statement) == Tally(total=2, by_country={"FR": 1, "DE": 1})
    assert Signature.objects.filter(statement=statement, status=Signature.Status.CONFIRMED).count() == 2
    assert tally_differences() == []
