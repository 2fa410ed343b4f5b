"""Asking for the link to one's own data: the same answer whoever asks, a mail only for an
address the site holds records of, no address in the link, and limits against abuse."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core import signing
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.core.crypto import server_decrypt
from undersigned.core.links import LinkExpiredError, LinkInvalidError, read_link
from undersigned.notifications.models import OutgoingMail
from undersigned.privacy.forms import DataLinkForm
from undersigned.privacy.tests.conftest import request_data, signed_on, started_token
from undersigned.privacy.tokens import DATA_LINK
from undersigned.signatures.tests.conftest import sign

pytestmark = pytest.mark.django_db


def sent_links() -> list[dict[str, str]]:
    """The data-link mails waiting in the outbox, opened as the worker would."""
    return [
        json.loads(server_decrypt(bytes(mail.sealed_message)))
        for mail in OutgoingMail.objects.filter(template="data_link")
    ]


def link_in(mail: dict[str, str]) -> str:
    (link,) = re.findall(r"http://testserver(/your-data/\S+/)", mail["text"])
    return link


def test_the_page_asks_for_an_address(client, site):
    page = client.get("/your-data/")
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()
    assert 'name="started"' in page.content.decode()


def test_a_signer_gets_a_link_to_their_records(client, open_statement):
    sign(open_statement, email="ada@example.org", confirm=True)
    answer = client.post("/your-data/", request_data("Ada@Example.org"))
    assert answer.status_code == 200
    assert "Check your email" in answer.content.decode()
    (mail,) = sent_links()
    assert mail["to"] == "Ada@Example.org"
    page = client.get(link_in(mail))
    assert page.status_code == 200
    assert open_statement.revision.title in page.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, open_statement):
    sign(open_statement, email="ada@example.org")
    known = client.post("/your-data/", request_data("ada@example.org"))
    unknown = client.post("/your-data/", request_data("nobody@example.org"))
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert [mail["to"] for mail in sent_links()] == ["ada@example.org"]


def test_an_organisations_contact_gets_a_link_too(client, open_statement):
    signed_on(open_statement, contact_email="rosa@readers.example.org")
    client.post("/your-data/", request_data("rosa@readers.example.org"))
    (mail,) = sent_links()
    assert "Neighbourhood Readers" in client.get(link_in(mail)).content.decode()


def test_the_link_carries_no_address(client, open_statement):
    sign(open_statement, email="quillon.marchetti@example.org")
    client.post("/your-data/", request_data("quillon.marchetti@example.org"))
    (mail,) = sent_links()
    token = link_in(mail).split("/")[2]
    payload = token.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    for part in ("quillon", "marchetti", "example.org"):
        assert part not in token.lower()
        assert part.encode() not in decoded.lower()


def test_the_mail_is_in_the_language_of_the_page(client, open_statement):
    sign(open_statement, email="ada@example.org")
    client.post("/your-data/", request_data("ada@example.org"), HTTP_ACCEPT_LANGUAGE="ar")
    (mail,) = sent_links()
    assert 'lang="ar" dir="rtl"' in mail["html"]


@pytest.mark.parametrize(
    "fields",
    [
        lambda: {"website": "https://spam.example"},
        lambda: {"started": started_token(seconds_ago=0)},
        lambda: {"started": "forged"},
    ],
    ids=["honeypot", "too fast", "forged start"],
)
def test_bots_are_refused_without_a_mail(client, open_statement, fields):
    sign(open_statement, email="ada@example.org")
    answer = client.post("/your-data/", request_data("ada@example.org", **fields()))
    assert answer.status_code == 400
    assert "sent back too quickly" in answer.content.decode()
    assert not sent_links()


@pytest.mark.parametrize("address", ["", "ada", "ada@nowhere", "a@b@example.org"])
def test_an_incomplete_address_is_explained(client, site, address):
    answer = client.post("/your-data/", request_data(address))
    assert answer.status_code == 400
    assert "field__error" in answer.content.decode()
    assert not sent_links()


def test_an_address_gets_a_few_links_an_hour(client, open_statement):
    sign(open_statement, email="ada@example.org")
    answers = [
        client.post("/your-data/", request_data("ada@example.org"), REMOTE_ADDR=f"198.51.{n}.7").status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    assert len(sent_links()) == 3
    # Spelt differently, it is the same mailbox and the same limit.
    assert client.post("/your-data/", request_data("ADA@example.org ")).status_code == 429


def test_a_network_gets_a_limited_number_of_links(client, open_statement):
    answers = [
        client.post("/your-data/", request_data(f"person{n}@example.org"), REMOTE_ADDR="203.0.113.9").status_code
        for n in range(21)
    ]
    assert answers.count(200) == 20
    assert answers[-1] == 429
    # Another network is not held back.
    assert client.post("/your-data/", request_data("other@example.org"), REMOTE_ADDR="192.0.2.1").status_code == 200


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_a_token_is_refused_cleanly(text):
    with pytest.raises((LinkInvalidError, LinkExpiredError)):
        read_link(DATA_LINK, text)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=70), st.integers(), st.none()), max_size=3))
def test_a_signed_value_of_another_shape_is_refused(value):
    token = signing.TimestampSigner(salt="undersigned.privacy.your-data").sign_object(value)
    with pytest.raises(LinkInvalidError):
        read_link(DATA_LINK, token)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_the_form_takes_any_text_without_failing(text):
    form = DataLinkForm({"email": text, "started": started_token(), "website": ""})
    if form.is_valid():
        assert "@" in form.cleaned_data["email"]


def test_the_link_is_taken_out_of_log_lines(open_statement):
    from undersigned.core.log_redaction import redact
    from undersigned.privacy.tests.conftest import link_path

    path = link_path("ada@example.org")
    assert redact(f'"GET {path}erase/ HTTP/1.1" 200') == '"GET /your-data/[token]/erase/ HTTP/1.1" 200'
