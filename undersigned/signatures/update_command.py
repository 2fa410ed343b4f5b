"""What every command that mails an update to signers shares (``send_update``, and
``send_response`` for a target's answer): read the trustee's identity, send, and say what
happened in the same words."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.core.exceptions import DomainError
from undersigned.sealing.trustee_identities import IdentityFileError, read_identity_file
from undersigned.signatures.updates import UpdateInterruptedError, UpdateOutcome, update_send
from undersigned.statements.models import Statement


def send_update_from_command(
    command: BaseCommand, *, statement: Statement, subject: str, body: str, options: dict[str, Any], what: str
) -> UpdateOutcome | None:
    """Sends ``subject`` and ``body`` as ``what`` ("update", "response") with the identity the
    options name, and reports it on the command's output; None after a dry run."""
    try:
        identities = read_identity_file(options["identity"], stdin=options.get("stdin") or sys.stdin)
    except IdentityFileError as error:
        raise CommandError(str(error)) from None
    try:
        outcome = update_send(
            statement=statement,
            subject=subject,
            body=body,
            identities=identities,
            dry_run=options["dry_run"],
            progress=command.stdout.write,
        )
    except DomainError as error:
        raise CommandError(str(error)) from None
    except UpdateInterruptedError as stopped:
        raise CommandError(
            f"the mail server failed ({stopped}) after {stopped.outcome.sent} message(s); "
            "they are recorded: run the same command again to continue"
        ) from None
    if options["dry_run"]:
        command.stdout.write(
            f"dry run: {outcome.recipients} signer(s) would get this {what}; nothing was opened or sent"
        )
        return None
    if not outcome.recipients:
        command.stdout.write(f"every signer who asked for updates has had this {what}; nothing sent")
        return outcome
    command.stdout.write(f"sent {outcome.sent} of {outcome.recipients}")
    if outcome.unopened:
        command.stderr.write(
            f"{outcome.unopened} record(s) are not sealed to this identity: run again with another "
            "trustee's key (or run reseal first)"
        )
    if outcome.refused:
        command.stderr.write(f"{outcome.refused} address(es) were refused by the mail server")
    if outcome.sent_before:
        command.stdout.write(
            f"{outcome.sent_before} signer(s) had it, or are having it, from another run at the same time "
            "(a run that was killed mid-send holds its signer for ten minutes: run again after that)"
        )
    if outcome.opted_out:
        command.stdout.write(f"{outcome.opted_out} signer(s) withdrew or stopped updates during the run: not sent")
    return outcome
