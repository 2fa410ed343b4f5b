from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.signatures.update_command import send_update_from_command
from undersigned.statements.models import Statement

MAX_BODY_FILE_BYTES = 200_000


class Command(BaseCommand):
    help = (
        "Mail an update to a statement's confirmed signers who asked for updates, opening their sealed "
        "addresses in memory with a trustee's identity and handing each message straight to the mail "
        "server. Running the same update again sends only to those who did not get it."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--identity",
            required=True,
            help="a trustee's private key file (AGE-SECRET-KEY-1…); '-' reads it from standard input",
        )
        parser.add_argument("--statement", required=True, help="the statement's short name")
        parser.add_argument("--subject", required=True, help="the email's subject, one line")
        parser.add_argument("--body-file", required=True, help="a UTF-8 text file with the update's text")
        parser.add_argument("--dry-run", action="store_true", help="count the recipients; open and send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        statement = Statement.objects.filter(slug=options["statement"]).first()
        if statement is None:
            raise CommandError(f"no statement {options['statement']!r}")
        body = _read_body(options["body_file"])
        send_update_from_command(
            self, statement=statement, subject=options["subject"], body=body, options=options, what="update"
        )


def _read_body(name: str) -> str:
    try:
        with Path(name).open("rb") as body_file:
            raw = body_file.read(MAX_BODY_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read the body file {name}: {error.strerror or error}") from None
    if len(raw) > MAX_BODY_FILE_BYTES:
        raise CommandError("the body file is too large for an update")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError("the body file is not UTF-8 text") from None
    if not body.strip():
        raise CommandError("the body file is empty")
    return body
