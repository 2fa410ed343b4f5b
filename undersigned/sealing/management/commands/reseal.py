from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.commissions.models import Commission
from undersigned.core.progress import Progress
from undersigned.sealing.resealing import DEFAULT_BATCH_SIZE, sealed_data_reseal, stale_records_left
from undersigned.sealing.trustee_identities import IdentityFileError, read_identity_file


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "After a trustee is added or removed: re-seal every record of contact data that is not sealed "
        "to its issuing body's current trustees, opening it with a trustee's identity, in batches. "
        "Run it again to continue after a stop; records the identity cannot open are counted and left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--identity",
            required=True,
            help="a trustee's private key file (AGE-SECRET-KEY-1…); '-' reads it from standard input",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="records per transaction")
        parser.add_argument("--limit", type=int, help="re-seal at most this many records, then stop")
        parser.add_argument(
            "--body", help="only the records of this issuing body: a commission's short name, or 'federation'"
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-sealed; open nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        body = options["body"]
        if body is not None and body != "federation" and not Commission.objects.filter(slug=body).exists():
            raise CommandError(f"no commission {body!r}; or use 'federation'")
        try:
            identities = read_identity_file(options["identity"], stdin=options.get("stdin") or sys.stdin)
        except IdentityFileError as error:
            raise CommandError(str(error)) from None
        outcome = sealed_data_reseal(
            identities=identities,
            batch_size=options["batch_size"],
            limit=options["limit"],
            dry_run=options["dry_run"],
            body=body,
            report=self.stdout.write,
            progress=Progress.for_command(self),
        )
        if options["dry_run"]:
            found = sum(count.found for count in outcome.counts)
            self.stdout.write(f"dry run: {found} record(s) would be re-sealed; nothing was opened or changed")
            return
        opened = outcome.resealed + sum(count.changed_meanwhile for count in outcome.counts)
        if outcome.unopened and not opened:
            raise CommandError(
                f"this identity opens none of the {outcome.unopened} record(s) to re-seal: it is not a key they "
                "are sealed to; nothing was changed"
            )
        self.stdout.write(f"re-sealed {outcome.resealed} record(s)")
        if outcome.unopened:
            self.stderr.write(
                f"{outcome.unopened} record(s) are not sealed to this identity and were left as they were; "
                "run reseal again with the key of a trustee they were sealed to"
            )
        if outcome.without_trustee:
            self.stderr.write(f"{outcome.without_trustee} record(s) belong to an issuing body with no active trustee")
        if outcome.stopped_at_limit:
            self.stdout.write("stopped at --limit; run reseal again to continue")
        left = stale_records_left(body)
        if left:
            self.stdout.write(f"{left} record(s) are still not sealed to their issuing body's current trustees")
        else:
            self.stdout.write("every record is sealed to its issuing body's current trustees")
