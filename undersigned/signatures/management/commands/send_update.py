from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.core.exceptions import DomainError
from undersigned.sealing.trustee_identities import IdentityFileError, read_identity_file
from undersigned.signatures.updates import UpdateInterruptedError, update_send
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
        try:
            identities = read_identity_file(options["identity"], stdin=options.get("stdin") or sys.stdin)
        except IdentityFileError as error:
            raise CommandError(str(error)) from None
        try:
            outcome = update_send(
                statement=statement,
                subject=options["subject"],
                body=body,
                identities=identities,
                dry_run=options["dry_run"],
                progress=self.stdout.write,
            )
        except DomainError as error:
            raise CommandError(str(error)) from None
        except UpdateInterruptedError as stopped:
            raise CommandError(
                f"the mail server failed ({stopped}) after {stopped.outcome.sent} message(s); "
                "they are recorded: run the same command again to continue"
            ) from None
        if options["dry_run"]:
            self.stdout.write(
                f"dry run: {outcome.recipients} signer(s) would get this update; nothing was opened or sent"
            )
            return
        if not outcome.recipients:
            self.stdout.write("every signer who asked for updates has had this one; nothing sent")
            return
        self.stdout.write(f"sent {outcome.sent} of {outcome.recipients}")
        if outcome.unopened:
            self.stderr.write(
                f"{outcome.unopened} record(s) are not sealed to this identity: run again with another "
                "trustee's key (or run reseal first)"
            )
        if outcome.refused:
            self.stderr.write(f"{outcome.refused} address(es) were refused by the mail server")
        if outcome.sent_before:
            self.stdout.write(
                f"{outcome.sent_before} signer(s) had it, or are having it, from another run at the same time "
                "(a run that was killed mid-send holds its signer for ten minutes: run again after that)"
            )
        if outcome.opted_out:
            self.stdout.write(f"{outcome.opted_out} signer(s) withdrew or stopped updates during the run: not sent")


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
