"""Updates to signers: ``send_update`` opens the opted-in, confirmed signers' records in memory with a
trustee's identity, hands each message straight to the mail server with the signer's withdrawal
link, keeps no address, and sends each signer an update once however often it is run."""

from __future__ import annotations

import hashlib
import io
import logging
import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from undersigned.core.crypto import new_identity
from undersigned.core.links import read_link
from undersigned.core.models import AuditEvent
from undersigned.notifications.models import OutgoingMail
from undersigned.notifications.services import mail_lease
from undersigned.sealing.tests.test_resealing import database_contents, files_written_since
from undersigned.sealing.trustee_identities import read_identity_file
from undersigned.signatures import updates
from undersigned.signatures.models import Signature, Update, UpdateDelivery
from undersigned.signatures.services import signature_withdraw, signatures_invalidate
from undersigned.signatures.tests.conftest import OpenStatement, sign
from undersigned.signatures.tests.test_concurrency import in_thread, wide_pool  # noqa: F401  (a fixture)
from undersigned.signatures.tokens import WITHDRAW_LINK, SignatureRef

pytestmark = pytest.mark.django_db

SUBJECT = "The statement was handed to the council"
BODY = "Dear signer,\n\nThe statement & its 3 signatures were handed over today.\n\nThank you."


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path, open_statement) -> dict[str, str]:
    identity = tmp_path / "trustee.key"
    identity.write_text(f"# public key: {open_statement.trustee.public_key}\n{open_statement.identity}\n")
    body = tmp_path / "update.txt"
    body.write_text(BODY, encoding="utf-8")
    return {"identity": str(identity), "body": str(body)}


def send(target: OpenStatement, files: dict[str, str], *extra: str) -> tuple[str, str]:
    return run(
        "send_update",
        "--identity",
        files["identity"],
        "--statement",
        target.statement.slug,
        "--subject",
        SUBJECT,
        "--body-file",
        files["body"],
        *extra,
    )


@pytest.fixture
def signers(open_statement) -> dict[str, Signature]:
    """One signer who should get the update, and one of each kind who should not."""
    made = {
        "ada": sign(open_statement, email="ada@example.org", wants_updates=True, confirm=True),
        "bob": sign(open_statement, email="bob@example.org", wants_updates=False, confirm=True),
        "cy": sign(open_statement, email="cy@example.org", wants_updates=True),  # pending
        "dee": sign(open_statement, email="dee@example.org", wants_updates=True, confirm=True),
        "eve": sign(open_statement, email="eve@example.org", wants_updates=True, confirm=True),
    }
    signature_withdraw(signature_id=made["dee"].pk, statement_id=open_statement.statement.pk)
    signatures_invalidate(
        actor=None, statement=open_statement.statement, signature_ids=[made["eve"].pk], reason="A bot farm"
    )
    return made


def recipients(smtp_server) -> list[str]:
    return sorted(str(message["To"]) for message in smtp_server.messages)


def test_an_update_goes_once_to_each_confirmed_signer_who_asked_for_it(
    open_statement, signers, files, smtp_server, client
):
    out, err = send(open_statement, files)

    assert recipients(smtp_server) == ["ada@example.org"]
    (message,) = smtp_server.messages
    assert message["Subject"] == SUBJECT
    text = smtp_server.text_of(message).replace("\r\n", "\n")
    assert text.startswith(BODY + "\n\n-- \n")
    assert open_statement.revision.title in text
    (link,) = [link for link in smtp_server.links_in(message) if "/signatures/withdraw/" in link]
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[1]
    assert read_link(WITHDRAW_LINK, token) == SignatureRef(
        signature_id=signers["ada"].pk, statement_id=open_statement.statement.pk
    )
    assert client.get(urlsplit(link).path).status_code == 200
    # The data page, where updates stop without withdrawing, opens from the mail for 24 hours.
    (data_link,) = [link for link in smtp_server.links_in(message) if "/your-data/" in link]
    data_page = client.get(urlsplit(data_link).path)
    assert data_page.status_code == 200 and "Stop updates, keep my signature" in data_page.content.decode()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "statement &amp; its 3 signatures" in html and 'lang="en"' in html
    update = Update.objects.get()
    assert (update.statement, update.subject) == (open_statement.statement, SUBJECT)
    assert update.body_sha256 == hashlib.sha256(BODY.encode()).hexdigest()
    assert update.sent_by == open_statement.trustee.public_key
    assert list(UpdateDelivery.objects.values_list("signature_id", flat=True)) == [signers["ada"].pk]
    assert "sent 1 of 1" in out and err == ""
    event = AuditEvent.objects.get(action="signatures.update_sent")
    assert (event.subject_type, event.subject_id) == ("statement", open_statement.statement.pk)
    assert event.detail == {
        "update": update.pk,
        "recipients": 1,
        "sent": 1,
        "unopened": 0,
        "refused": 0,
        "sent_before": 0,
        "opted_out": 0,
        "opened_with": [open_statement.trustee.public_key],
    }


def test_running_the_same_update_again_sends_nothing(open_statement, signers, files, smtp_server):
    send(open_statement, files)

    out, _ = send(open_statement, files)

    assert recipients(smtp_server) == ["ada@example.org"]
    assert "nothing sent" in out
    assert Update.objects.count() == 1 and UpdateDelivery.objects.count() == 1


def test_another_update_goes_again(open_statement, signers, files, smtp_server):
    send(open_statement, files)
    Path(files["body"]).write_text("A second piece of news.", encoding="utf-8")

    send(open_statement, files)

    assert recipients(smtp_server) == ["ada@example.org", "ada@example.org"]
    assert Update.objects.count() == 2


def test_a_run_stopped_by_the_mail_server_continues_without_sending_anyone_twice(
    open_statement, files, smtp_server, monkeypatch
):
    for name in ("a", "b", "c"):
        sign(open_statement, email=f"{name}@example.org", wants_updates=True, confirm=True)
    real_send, calls = updates.send_mail_now, []

    def fail_on_the_second(message):
        calls.append(1)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("the server went away")
        real_send(message)

    monkeypatch.setattr(updates, "send_mail_now", fail_on_the_second)
    with pytest.raises(CommandError, match=r"after 1 message\(s\).*run the same command again"):
        send(open_statement, files)
    assert recipients(smtp_server) == ["a@example.org"]
    assert AuditEvent.objects.get(action="signatures.update_interrupted").detail["sent"] == 1

    monkeypatch.setattr(updates, "send_mail_now", real_send)
    out, _ = send(open_statement, files)

    assert recipients(smtp_server) == ["a@example.org", "b@example.org", "c@example.org"]
    assert "sent 2 of 2" in out
    assert UpdateDelivery.objects.count() == 3


def test_an_address_the_mail_server_refuses_is_counted_and_the_others_go(
    open_statement, files, smtp_server, monkeypatch
):
    for name in ("a", "b"):
        sign(open_statement, email=f"{name}@example.org", wants_updates=True, confirm=True)
    real_send = updates.send_mail_now

    def refuse_a(message):
        if message.to == ["a@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")})
        real_send(message)

    monkeypatch.setattr(updates, "send_mail_now", refuse_a)
    out, err = send(open_statement, files)

    assert recipients(smtp_server) == ["b@example.org"]
    assert "1 address(es) were refused" in err
    assert "a@example.org" not in out + err
    assert UpdateDelivery.objects.count() == 1  # the refused one is tried again by the next run


def test_a_dry_run_counts_and_opens_and_sends_nothing(open_statement, signers, files, smtp_server):
    out, _ = send(open_statement, files, "--dry-run")

    assert "dry run: 1 signer(s) would get this update" in out
    assert smtp_server.messages == []
    assert not Update.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="signatures.update").exists()


def test_records_the_identity_cannot_open_are_counted(open_statement, files, smtp_server, mobility):
    sign(open_statement, email="a@example.org", wants_updates=True, confirm=True)
    other = sign(open_statement, email="b@example.org", wants_updates=True, confirm=True)
    _, stranger = new_identity()
    from undersigned.core.crypto import seal

    Signature.objects.filter(pk=other.pk).update(sealed_contact=seal(b'{"email": "b@example.org"}', [stranger]))

    out, err = send(open_statement, files)

    assert recipients(smtp_server) == ["a@example.org"]
    assert "sent 1 of 2" in out
    assert "1 record(s) are not sealed to this identity" in err


# --- Bad input --------------------------------------------------------------------------------------


def test_an_identity_that_opens_nothing_is_refused_and_nothing_is_stored_or_sent(
    open_statement, signers, files, smtp_server, tmp_path
):
    stranger, _ = new_identity()
    Path(files["identity"]).write_text(f"{stranger}\n")

    with pytest.raises(CommandError, match="opens none of the 1 signers' records"):
        send(open_statement, files)

    assert smtp_server.messages == []
    assert not Update.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--statement": "no-such-statement"}, "no statement 'no-such-statement'"),
        ({"--subject": "   "}, "subject of one line"),
        ({"--subject": "Two\nlines"}, "subject of one line"),
        ({"--body-file": "/nonexistent/update.txt"}, "cannot read the body file"),
        ({"--identity": "/nonexistent/trustee.key"}, "cannot read the identity file"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(open_statement, signers, files, smtp_server, change, message):
    arguments = {
        "--identity": files["identity"],
        "--statement": open_statement.statement.slug,
        "--subject": SUBJECT,
        "--body-file": files["body"],
        **change,
    }

    with pytest.raises(CommandError, match=message):
        run("send_update", *[part for pair in arguments.items() for part in pair])

    assert smtp_server.messages == []
    assert not Update.objects.exists()


@pytest.mark.parametrize("content", [b"", b"  \n\n ", b"\xff\xfe not utf-8"])
def test_an_empty_or_unreadable_body_is_refused(open_statement, signers, files, smtp_server, content):
    Path(files["body"]).write_bytes(content)

    with pytest.raises(CommandError, match="body file is (empty|not UTF-8)"):
        send(open_statement, files)

    assert smtp_server.messages == []


def test_mail_that_would_be_kept_on_disk_is_refused(open_statement, signers, files, settings):
    settings.EMAIL_BACKEND = "undersigned.notifications.outbox.OutboxBackend"
    outbox = Path(settings.VAR_DIR) / "outbox"
    before = set(outbox.glob("*")) if outbox.exists() else set()

    with pytest.raises(CommandError, match="set EMAIL_URL"):
        send(open_statement, files)

    assert (set(outbox.glob("*")) if outbox.exists() else set()) == before
    assert not Update.objects.exists()


# --- No address kept --------------------------------------------------------------------------------

SECRET_ADDRESS = "Quillon.Update-Marchetti@Example-Mail.ORG"


@pytest.mark.django_db(transaction=True)
def test_no_address_is_kept_in_the_outbox_files_logs_or_database(open_statement, files, smtp_server, caplog):
    for logger in (None, "undersigned", "django"):
        caplog.set_level(logging.DEBUG, logger=logger)
    sign(
        open_statement,
        email=SECRET_ADDRESS,
        name_shown=Signature.NameShown.HIDDEN,
        wants_updates=True,
        confirm=True,
    )
    OutgoingMail.objects.all().delete()  # the confirmation mail, delivered in the field
    start = time.time() - 1

    out, err = send(open_statement, files)

    assert recipients(smtp_server) == [SECRET_ADDRESS]
    assert not OutgoingMail.objects.exists()
    places = {f"the file {path}": path.read_bytes() for path in files_written_since(start, str(settings.VAR_DIR))}
    # "mail.log" is aiosmtpd's, the stand-in for the outside mail server, which must know the address.
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name != "mail.log")
    places |= {"the output": (out + err).encode(), "the logs": logged.encode()}
    places["the database"] = database_contents()
    for where, content in places.items():
        for secret in (SECRET_ADDRESS, SECRET_ADDRESS.lower()):
            assert secret.encode() not in content, f"{secret!r} is in {where}"


# --- Concurrent runs --------------------------------------------------------------------------------


@pytest.fixture
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql_only", "wide_pool")
def test_three_runs_of_one_update_at_once_send_each_signer_one_copy(open_statement, smtp_server):
    addresses = [f"signer{number}@example.org" for number in range(12)]
    for address in addresses:
        sign(open_statement, email=address, wants_updates=True, confirm=True)
    identities = read_identity_file("-", stdin=io.StringIO(open_statement.identity))
    barrier = threading.Barrier(3, timeout=30)

    @in_thread
    def run_once() -> updates.UpdateOutcome:
        connection.ensure_connection()
        barrier.wait()
        return updates.update_send(
            statement=open_statement.statement, subject=SUBJECT, body=BODY, identities=identities
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda _: run_once(), range(3)))

    # A burst of signers from one test is held by the fraud signals after a few: those get nothing.
    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    assert confirmed >= 3
    sent = recipients(smtp_server)
    assert len(sent) == len(set(sent)) == confirmed
    assert set(sent) <= set(addresses)
    assert sum(outcome.sent for outcome in outcomes) == confirmed
    assert Update.objects.count() == 1 and UpdateDelivery.objects.count() == confirmed


def test_a_signer_who_withdraws_while_the_run_goes_on_gets_nothing(
    open_statement, signers, files, smtp_server, monkeypatch
):
    opened = updates._address

    def open_then_the_signer_withdraws(signature, identities):
        address = opened(signature, identities)
        signature_withdraw(signature_id=signature.pk, statement_id=signature.statement_id)
        return address

    monkeypatch.setattr(updates, "_address", open_then_the_signer_withdraws)
    out, _err = send(open_statement, files)
    assert smtp_server.messages == []
    assert not UpdateDelivery.objects.exists()
    assert "no longer wanted it" in out


# --- No transaction open while the mail server has the message ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_a_message_is_handed_to_the_mail_server(
    open_statement, files, smtp_server, monkeypatch
):
    """On SQLite an open transaction holds the only write lock: signers would wait on the mail server."""
    for name in ("a", "b"):
        sign(open_statement, email=f"{name}@example.org", wants_updates=True, confirm=True)
    real_send, in_transaction = updates.send_mail_now, []

    def send_and_look(message):
        in_transaction.append(connection.in_atomic_block)
        real_send(message)

    monkeypatch.setattr(updates, "send_mail_now", send_and_look)
    send(open_statement, files)

    assert recipients(smtp_server) == ["a@example.org", "b@example.org"]
    assert in_transaction == [False, False]


class RunKilled(BaseException):
    """The command's process killed mid-send: nothing after this point runs, not even its cleanup."""


def test_a_signer_whose_run_was_killed_mid_send_gets_the_update_from_a_run_after_the_lease(
    open_statement, files, smtp_server, monkeypatch
):
    for name in ("a", "b"):
        sign(open_statement, email=f"{name}@example.org", wants_updates=True, confirm=True)
    real_send = updates.send_mail_now

    def killed_at_b(message):
        if message.to == ["b@example.org"]:
            raise RunKilled
        real_send(message)

    monkeypatch.setattr(updates, "send_mail_now", killed_at_b)
    monkeypatch.setattr(updates, "_release", lambda *args: None)  # a killed process cleans nothing up
    with pytest.raises(RunKilled):
        send(open_statement, files)
    monkeypatch.undo()
    assert recipients(smtp_server) == ["a@example.org"]

    out, _ = send(open_statement, files)  # at once: b's claim may still be a run handing it over
    assert recipients(smtp_server) == ["a@example.org"]
    assert "1 signer(s) had it, or are having it, from another run" in out

    with time_machine.travel(timezone.now() + mail_lease() + timedelta(seconds=1), tick=True):
        out, _ = send(open_statement, files)

    assert recipients(smtp_server) == ["a@example.org", "b@example.org"]
    assert "sent 1 of 1" in out
    assert list(UpdateDelivery.objects.values_list("claimed_until", flat=True)) == [None, None]
    out, _ = send(open_statement, files)
    assert "nothing sent" in out
