from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.exports.pdf import render_pdf
from undersigned.exports.selectors import exportable_statement, signed_statement
from undersigned.statements.models import Statement
from undersigned.statements.selectors import published_texts


class Command(BaseCommand):
    help = "Write the signed statement (PDF) of a published or closed statement in one of its languages."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--statement", required=True, help="the statement's slug")
        parser.add_argument("--language", required=True, help="a language the statement is published in")
        parser.add_argument("--output", required=True, help="where to write the PDF ('-' for standard output)")
        parser.add_argument("--paper", choices=["a4", "letter"], default="a4")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, language, output = options["statement"], options["language"], options["output"]
        statement = exportable_statement(slug=slug)
        if statement is None:
            if Statement.objects.filter(slug=slug).exists():
                raise CommandError(f"statement {slug!r} is not published (only published or closed ones are exported)")
            raise CommandError(f"no statement {slug!r}")
        languages = sorted(text.language for text in published_texts(statement))
        if language not in languages:
            raise CommandError(f"statement {slug!r} is not published in {language!r}; it is in: {', '.join(languages)}")
        # WeasyPrint's own step-by-step log would drown the few lines of progress below.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        progress("gathering the counts, the organisations and the public names")
        data = signed_statement(statement=statement, language=language)
        pdf = render_pdf(data, paper=options["paper"], progress=progress)
        if output == "-":
            sys.stdout.buffer.write(pdf)
        else:
            try:
                Path(output).write_bytes(pdf)
            except OSError as error:
                raise CommandError(f"cannot write {output}: {error.strerror}") from None
        progress(f"wrote {len(pdf):,} bytes to {output}")
