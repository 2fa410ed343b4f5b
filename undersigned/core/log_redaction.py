"""A logging filter that takes personal data out of every log line before it is written: email
addresses, the signed tokens of personal links (confirmation, withdrawal, sign-in), which can
appear in the paths of logged requests and in exception messages, the values PostgreSQL quotes
when it refuses a row, which reach the log in a failed request's traceback, the values of
queries logged under DEBUG, the whole context a template's failed variable lookup dumps under DEBUG,
and the query string of a request's repr.

Names cannot be recognised in free text; they are kept out of logs by logging no submitted value,
and out of database errors and logged queries by the patterns below (``tests/test_log_leaks.py``
posts a known name and address through every form and looks for them)."""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Django's signed values: a base64 payload, then ':'-separated base62 timestamp and base64 signature.
SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}(?::[A-Za-z0-9_\-]{4,})?:[A-Za-z0-9_\-]{20,}")
# A personal link's path, whatever its token looks like.
PERSONAL_PATH = re.compile(
    r"(/(?:signatures|sign-ons)/(?:confirm|thanks|withdraw)/|/sign-in/|/your-data/|/password-reset/[^/\s\"']+/)"
    r"[^/\s\"']+"
)
# PostgreSQL's messages about a refused row quote its values, a signer's or contact's name among
# them: "Failing row contains (12, Ada Lovelace, ...)", "Key (email_hash, statement_id)=(..., 3)
# already exists", 'invalid input syntax for type integer: "..."'. Each runs to the end of its line.
DATABASE_VALUES = (
    (re.compile(r"(Failing row contains )\(.*\)"), r"\1([values])"),
    (re.compile(r"(Key \((?:[^()\n]|\([^()\n]*\))*\)=)\(.*\)"), r"\1([values])"),
    (re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )".*"'), r'\1"[value]"'),
)

# A query logged under DEBUG (django.db.backends) carries its values: a signer's public name, a
# commission's texts. Its shape is kept; its string literals and parameters are not.
SQL_STRING = re.compile(r"'(?:[^']|'')*'")
SQL_PARAMETERS = re.compile(r"; args=.*; alias=", re.DOTALL)


# A template variable that fails to resolve is logged (django.template, DEBUG) with the whole
# context it was looked up in: a signer's data page holds their name. Only the key is kept.
TEMPLATE_CONTEXT = re.compile(r"(Failed lookup for key \[[^\]\n]*\] in ).*")
# A request's repr shows its full path, query string included, which may carry anything.
REQUEST_QUERY = re.compile(r"(<(?:WSGI|ASGI)?Request: [A-Z]+ '[^'?]*)\?[^']*'")


def redact_query(text: str) -> str:
    return SQL_STRING.sub("'[value]'", SQL_PARAMETERS.sub("; args=[values]; alias=", text))


def redact_message(logger_name: str, text: str) -> str:
    """``text`` as a record of ``logger_name`` is written to the log."""
    return redact(redact_query(text) if logger_name.startswith("django.db.backends") else text)


def redact(text: str) -> str:
    for pattern, replacement in DATABASE_VALUES:
        text = pattern.sub(replacement, text)
    text = TEMPLATE_CONTEXT.sub(r"\1[context]", text)
    text = REQUEST_QUERY.sub(r"\1?[query]'", text)
    text = PERSONAL_PATH.sub(r"\1[token]", text)
    text = SIGNED_TOKEN.sub("[token]", text)
    return EMAIL.sub("[email]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_message(record.name, message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
