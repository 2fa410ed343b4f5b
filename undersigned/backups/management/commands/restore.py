from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from undersigned.backups.services import (
    BackupRefusedError,
    backup_check,
    backup_restore,
    database_counts,
    migrations_to_run,
)
from undersigned.core.progress import Progress


class Command(BaseCommand):
    help = (
        "Replace the configured database with a backup made by `backup` (stop the site first). Checks the "
        "backup against its manifest, refuses a backup of the other database engine, asks before replacing "
        "a database that holds data, migrates a backup made by an older version, and prints the counts."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="the backup file (its .manifest.json must be beside it)")
        parser.add_argument("--yes", action="store_true", help="replace a database that holds data without asking")
        parser.add_argument("--verify", action="store_true", help="then run verify_tally and verify_audit")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["backup"])
        progress = Progress.for_command(self)
        try:
            manifest = backup_check(path=path, progress=progress)
        except BackupRefusedError as refusal:
            raise CommandError(str(refusal)) from None
        held = {name: count for name, count in database_counts().items() if count}
        if held and not options["yes"]:
            self._confirm(held, options.get("stdin") or sys.stdin, manifest.created_at)
        try:
            backup_restore(path=path, manifest=manifest, progress=progress)
        except BackupRefusedError as refusal:
            raise CommandError(str(refusal)) from None
        pending = migrations_to_run()
        if pending:
            progress.note(
                f"the backup is older than this version: applying {len(pending)} migration(s): {', '.join(pending)}"
            )
            call_command("migrate", verbosity=0)
            if migrations_to_run():
                raise CommandError("the restored database could not be migrated to this version")
        counts = database_counts()
        self.stdout.write(f"restored: {path} (made {manifest.created_at})")
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
        differing = [name for name, count in manifest.counts.items() if counts.get(name) != count]
        if differing:
            raise CommandError("the restored database's counts differ from the manifest's for " + ", ".join(differing))
        self.stdout.write("the counts match the backup's manifest")
        if options["verify"]:
            call_command("verify_tally", stdout=self.stdout._out, stderr=self.stderr._out)
            call_command("verify_audit", stdout=self.stdout._out, stderr=self.stderr._out)
        else:
            self.stdout.write("now run: manage.py verify_tally && manage.py verify_audit")

    def _confirm(self, held: dict[str, int], stdin: Any, created_at: str) -> None:
        what = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in held.items())
        database = connection.settings_dict["NAME"]
        if not stdin.isatty():
            raise CommandError(f"the database {database} holds data ({what}); add --yes to replace it with the backup")
        self.stderr.write(f"The database {database} holds {what}.")
        self.stderr.write(f"Replace all of it with the backup made {created_at}? Type 'yes' to go on: ", ending="")
        self.stderr.flush()
        if stdin.readline().strip().lower() != "yes":
            raise CommandError("nothing was restored")
