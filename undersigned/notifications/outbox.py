"""A mail backend for development: each message becomes a file in ``var/outbox``, readable at
``/outbox/`` while ``DEBUG`` is on, so the whole signing journey works with no mail server."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


def outbox_dir() -> Path:
    return Path(settings.VAR_DIR) / "outbox"


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = outbox_dir()
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (directory / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


def outbox_messages(limit: int = 50) -> list[dict[str, Any]]:
    files = sorted(outbox_dir().glob("*.eml"), reverse=True)[:limit]
    return [{"id": path.stem, **_summary(path)} for path in files]


def outbox_message(message_id: str) -> ParsedMessage | None:
    path = outbox_dir() / f"{Path(message_id).name}.eml"
    if not path.is_file():
        return None
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    return parsed if isinstance(parsed, ParsedMessage) else None


def _summary(path: Path) -> dict[str, Any]:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    return {"subject": str(parsed["subject"] or ""), "to": str(parsed["to"] or ""), "date": str(parsed["date"] or "")}
