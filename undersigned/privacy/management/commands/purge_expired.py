from __future__ import annotations

from argparse import ArgumentParser
from datetime import UTC
from typing import Any

from django.core.management.base import BaseCommand

from undersigned.core.progress import Progress
from undersigned.privacy.services import purge_expired, purge_schedule_ensure


class Command(BaseCommand):
    help = (
        "Delete the personal data of every statement's signers and organisations' contacts once the "
        "statement's retention period after closing has passed; counts, the ledger and the audit log stay. "
        "The worker does it daily; run this by hand, or from cron as a safety net."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the statements due and how many records each would clear; change nothing.",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        outcomes = purge_expired(dry_run=dry_run, progress=Progress.for_command(self))
        verb = "would clear" if dry_run else "cleared"
        for outcome in outcomes:
            self.stdout.write(
                f"{outcome.statement}: {verb} {outcome.signatures} signature(s) and {outcome.sign_ons} "
                f"sign-on contact(s) (due {outcome.deadline.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
            )
        if not outcomes:
            self.stdout.write("no statement is past its retention period")
        if not dry_run:
            purge_schedule_ensure()  # and restart the daily chain if it has stopped
