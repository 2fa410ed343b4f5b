from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from undersigned.commissions.models import Commission
from undersigned.core.exceptions import DomainError
from undersigned.core.progress import Progress
from undersigned.statements.importer import MAX_BYTES, ImportRefusedError, decode_upload
from undersigned.statements.services import statement_import


class Command(BaseCommand):
    help = (
        "Import a statement from a plain-text press release (title, dateline, headline calls, paragraphs, "
        "end mark ###) and print its public address."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a UTF-8 text file, or - for standard input")
        parser.add_argument("--language", required=True, help="the language the text is written in, e.g. en, fr, ar")
        parser.add_argument(
            "--body", required=True, help="the issuing body: a commission's short name, or 'federation'"
        )
        parser.add_argument("--slug", help="the short name in the address; default: made from the title")
        parser.add_argument("--publish", action="store_true", help="publish at once instead of keeping a draft")

    def handle(self, *args: Any, **options: Any) -> None:
        commission = None
        if options["body"] != "federation":
            commission = Commission.objects.filter(slug=options["body"]).first()
            if commission is None:
                known = ", ".join(Commission.objects.values_list("slug", flat=True)) or "none yet"
                raise CommandError(f"no commission {options['body']!r}; commissions: {known}; or use 'federation'")
        # A press release imports in a moment; the steps say where a slow disk or database held it up.
        progress = Progress.for_command(self)
        progress.start(f"importing {options['file']}", 2, unit="steps")
        try:
            # One byte more than allowed is enough to refuse a file that is too large.
            if options["file"] == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with Path(options["file"]).open("rb") as source_file:
                    data = source_file.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error.strerror}") from None
        progress.advance()
        try:
            source = decode_upload(data)
        except ImportRefusedError as refusal:
            raise CommandError(str(refusal)) from None
        try:
            statement = statement_import(
                actor=None,
                commission=commission,
                slug=options["slug"] or "",
                language=options["language"],
                source=source,
                publish=options["publish"],
            )
        except DomainError as error:
            if error.code == "slug_required":
                raise CommandError(f"{error} (use --slug)") from None
            raise CommandError(str(error)) from None
        progress.advance()
        progress.finish()
        url = settings.SITE_URL + reverse("statements:read", args=[statement.slug])
        state = "published" if options["publish"] else "saved as a draft (not public until published)"
        self.stdout.write(f"{url}\n{statement.slug}: {state}")
