from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.core.progress import Progress
from undersigned.signatures.sealed_export import sealed_export_write
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = "Write a statement's signatures, contact data still sealed to its trustees, to a zip file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--statement", required=True, help="the statement's short name")
        parser.add_argument("--output", required=True, help="the zip file to write (must not exist)")
        parser.add_argument(
            "--include-pending",
            action="store_true",
            help="also signatures whose signer has not confirmed the address (status 'pending')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statement = Statement.objects.filter(slug=options["statement"]).first()
        if statement is None:
            raise CommandError(f"no statement {options['statement']!r}")
        try:
            count = sealed_export_write(
                actor=None,
                statement=statement,
                path=Path(options["output"]),
                include_pending=options["include_pending"],
                progress=Progress.for_command(self),
            )
        except FileExistsError:
            raise CommandError(f"{options['output']} exists already") from None
        except OSError as error:
            raise CommandError(f"cannot write {options['output']}: {error.strerror}") from None
        self.stdout.write(f"{count} signatures written to {options['output']}; a trustee opens it with open_export")
