"""A logging filter that takes personal data out of every log line before it is written: email
addresses, and the signed tokens of personal links (confirmation, withdrawal, sign-in), which can
appear in the paths of logged requests and in exception messages."""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Django's signed values: a base64 payload, then ':'-separated base62 timestamp and base64 signature.
SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}(?::[A-Za-z0-9_\-]{4,})?:[A-Za-z0-9_\-]{20,}")
# A personal link's path, whatever its token looks like.
PERSONAL_PATH = re.compile(r"(/(?:signatures|sign-ons)/(?:confirm|thanks|withdraw)/|/sign-in/)[^/\s\"']+")


def redact(text: str) -> str:
    text = PERSONAL_PATH.sub(r"\1[token]", text)
    text = SIGNED_TOKEN.sub("[token]", text)
    return EMAIL.sub("[email]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
