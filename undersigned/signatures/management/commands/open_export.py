from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.core.spreadsheet import SafeDictWriter
from undersigned.signatures.sealed_export import CONTACT_COLUMNS, PUBLIC_COLUMNS, sealed_export_open


class Command(BaseCommand):
    help = "For trustees: open an export with your age identity file and write it as CSV with contact data."
    requires_system_checks: list[str] = []  # runs on a trustee's computer, without the site's database

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("export", help="the zip file made by export_signatures")
        parser.add_argument("--identity", required=True, help="your private key file (AGE-SECRET-KEY-1…)")
        parser.add_argument("--output", help="CSV file to write; default: standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lines = Path(options["identity"]).read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the identity file: {error}") from None
        identity = next((line.strip() for line in lines if line.startswith("AGE-SECRET-KEY-")), None)
        if identity is None:
            raise CommandError("the identity file holds no AGE-SECRET-KEY-1… line")
        output = open(options["output"], "w", newline="", encoding="utf-8") if options["output"] else sys.stdout  # noqa: SIM115
        try:
            # Names, cities and affiliations are what signers typed: made safe for a spreadsheet.
            writer = SafeDictWriter(output, fieldnames=PUBLIC_COLUMNS + CONTACT_COLUMNS)
            writer.writeheader()
            for row in sealed_export_open(path=Path(options["export"]), identity=identity):
                writer.writerow(row)
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            raise CommandError(f"cannot read the export: {error}") from None
        except Exception as error:  # pyrage's DecryptError: the key is not one the records were sealed to
            raise CommandError(f"this identity does not open the export's records ({type(error).__name__})") from None
        finally:
            if output is not sys.stdout:
                output.close()
