"""The development outbox page: only with DEBUG and the outbox backend, and only for a browser on
the same machine, since it shows staff password-reset links."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

pytestmark = pytest.mark.django_db

OUTBOX = "undersigned.notifications.outbox.OutboxBackend"


@pytest.fixture
def outbox_with_a_message(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with override_settings(DEBUG=True, EMAIL_BACKEND=OUTBOX):
        mail.EmailMessage("Reset your password", "https://example.org/reset/abc", to=["sam@example.org"]).send()
        (message,) = (tmp_path / "outbox").glob("*.eml")
        yield message.stem


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_a_browser_on_this_machine_reads_the_outbox(client, outbox_with_a_message, address):
    response = client.get("/outbox/", REMOTE_ADDR=address)
    assert response.status_code == 200
    assert "Reset your password" in response.content.decode()
    message = client.get(f"/outbox/{outbox_with_a_message}/", REMOTE_ADDR=address)
    assert "https://example.org/reset/abc" in message.content.decode()


@pytest.mark.parametrize(
    "request_from",
    [
        {"REMOTE_ADDR": "192.168.1.20"},
        {"REMOTE_ADDR": "10.0.0.5"},
        # A proxy on this machine passing on another machine's visit.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "192.168.1.20"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=192.168.1.20"},
        {"REMOTE_ADDR": "not an address"},
    ],
)
def test_a_visitor_from_another_machine_finds_no_outbox(client, outbox_with_a_message, request_from):
    assert client.get("/outbox/", **request_from).status_code == 404
    assert client.get(f"/outbox/{outbox_with_a_message}/", **request_from).status_code == 404
