"""A recorded response goes to the signers who asked for updates, only with a trustee's identity."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from undersigned.deliveries.models import Response
from undersigned.deliveries.services import ResponseInput, response_record
from undersigned.signatures.tests.conftest import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity_file(tmp_path, open_statement) -> str:
    path = tmp_path / "trustee.key"
    path.write_text(f"# public key: {open_statement.trustee.public_key}\n{open_statement.identity}\n")
    return str(path)


def test_a_response_is_mailed_once_to_the_signers_who_asked(open_statement, identity_file, smtp_server):
    sign(open_statement, email="ada@example.org", wants_updates=True, confirm=True)
    sign(open_statement, email="bob@example.org", wants_updates=False, confirm=True)
    response = response_record(
        actor=None,
        statement=open_statement.statement,
        response=ResponseInput(
            target_id=None,
            who="The Minister of Culture",
            responded_on=date(2026, 3, 5),
            text="We will open the libraries on Sundays.",
            link="https://gov.example/answer",
            language="en",
        ),
    )
    args = ["--statement", open_statement.statement.slug, "--response", str(response.pk), "--identity", identity_file]
    out = io.StringIO()
    call_command("send_response", *args, stdout=out)
    (message,) = smtp_server.messages
    assert message["To"] == "ada@example.org"
    assert str(message["Subject"]).strip().startswith("The Minister of Culture answered")
    text = smtp_server.text_of(message)
    assert "We will open the libraries on Sundays." in text and "https://gov.example/answer" in text
    assert Response.objects.get().update is not None
    call_command("send_response", *args, stdout=io.StringIO())  # again: no one gets it twice
    assert len(smtp_server.messages) == 1


def test_a_key_that_is_not_a_trustees_opens_nothing(open_statement, tmp_path, smtp_server):
    from undersigned.core.crypto import new_identity

    sign(open_statement, email="ada@example.org", wants_updates=True, confirm=True)
    response = response_record(
        actor=None,
        statement=open_statement.statement,
        response=ResponseInput(
            target_id=None, who="Minister", responded_on=date(2026, 3, 5), text="No.", link="", language="en"
        ),
    )
    secret, public = new_identity()
    stranger = tmp_path / "stranger.key"
    stranger.write_text(f"# public key: {public}\n{secret}\n")
    with pytest.raises(CommandError):
        call_command(
            "send_response",
            "--statement",
            open_statement.statement.slug,
            "--response",
            str(response.pk),
            "--identity",
            str(stranger),
            stdout=io.StringIO(),
        )
    assert smtp_server.messages == []
