"""No log line carries an email address or a personal link's token."""

from __future__ import annotations

import io
import logging
from typing import Any

from django.conf import settings

from undersigned.core.log_redaction import RedactPersonalData, redact
from undersigned.signatures.tokens import SignatureRef, confirm_token


def test_addresses_and_tokens_are_taken_out():
    token = confirm_token(SignatureRef(signature_id=12, statement_id=3))
    line = f"Not Found: /signatures/confirm/{token}/ for Ana.Perez+x@Example-Mail.org and bo@mail.example"
    cleaned = redact(line)
    assert "Ana.Perez" not in cleaned and "bo@mail" not in cleaned and token not in cleaned
    assert cleaned == "Not Found: /signatures/confirm/[token]/ for [email] and [email]"
    assert redact(f"a token alone {token} in a message") == "a token alone [token] in a message"
    assert redact("/organisations/members/sign-in/abc.def:ghi/") == "/organisations/members/sign-in/[token]/"
    assert redact("Not Found: /your-data/abc.def-ghi/erase/") == "Not Found: /your-data/[token]/erase/"
    assert redact("GET /accounts/password-reset/MQ/cz8b1k-5f2e9a/") == "GET /accounts/password-reset/MQ/[token]/"
    assert redact("GET /accounts/password-reset/sent/ 200") == "GET /accounts/password-reset/sent/ 200"


def test_ordinary_lines_are_left_alone():
    for line in (
        "sealed 3 event(s) of 1 statement(s)",
        "GET /statements/library-opening-hours/ 200",
        "12:30:05",
        "listening on localhost:8000",
    ):
        assert redact(line) == line


def test_every_line_of_the_console_handler_goes_through_the_filter():
    logging_settings: dict[str, Any] = settings.LOGGING
    assert "redact" in logging_settings["handlers"]["console"]["filters"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("undersigned.test_redaction")
    logger.addHandler(handler)
    try:
        logger.warning("could not deliver to %s", "quillon@example.org")
        try:
            raise ValueError("bad address quillon@example.org")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "quillon" not in stream.getvalue()
    assert "could not deliver to [email]" in stream.getvalue() and "bad address [email]" in stream.getvalue()
