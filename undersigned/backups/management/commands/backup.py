from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.backups.services import BackupRefusedError, backup_create
from undersigned.core.progress import Progress


class Command(BaseCommand):
    help = (
        "Back up the whole database to one file (PostgreSQL: pg_dump's custom format; SQLite: a copy made "
        "with its online backup API), safe while the site runs, with a manifest beside it that restore checks. "
        "Default: a timestamped file in VAR_DIR/backups/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="the file to write (must not exist); default: VAR_DIR/backups/…")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]) if options["output"] else None
        try:
            outcome = backup_create(output=output, progress=Progress.for_command(self))
        except BackupRefusedError as refusal:
            raise CommandError(str(refusal)) from None
        manifest = outcome.manifest
        self.stdout.write(f"backup: {outcome.path}")
        self.stdout.write(f"size: {manifest.size} bytes")
        self.stdout.write(f"sha256: {manifest.sha256}")
        self.stdout.write(f"manifest: {outcome.manifest_path}")
        for name, count in manifest.counts.items():
            self.stdout.write(f"{name}: {count}")
