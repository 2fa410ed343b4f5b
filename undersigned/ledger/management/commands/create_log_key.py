from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.ledger import tlog


class Command(BaseCommand):
    help = (
        "Make an Ed25519 key for the site's transparency log. The private key goes to --file (mode 600) "
        "or standard output, for LOG_KEY_FILE or LOG_KEY; the public key, to publish, is printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin",
            help="The log's name, checkpoints' first line: host and path, like example.org/log (default: SITE_URL's).",
        )
        parser.add_argument("--file", type=Path, help="Write the private key to this new file (never overwritten).")

    def handle(self, *args: Any, **options: Any) -> None:
        parts = urlsplit(settings.SITE_URL)
        origin = options["origin"] or f"{parts.netloc}{parts.path.rstrip('/')}/log"
        try:
            signer = tlog.Signer.generate(origin)
        except tlog.ProofError:
            raise CommandError("--origin is a name without spaces or '+', like example.org/log") from None
        path: Path | None = options["file"]
        if path is None:
            self.stdout.write(signer.skey)
        else:
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise CommandError(f"{path} exists; a log key is never overwritten") from None
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            with os.fdopen(descriptor, "w", encoding="utf-8") as key_file:
                key_file.write(signer.skey + "\n")
            self.stdout.write(f"private key written to {path}; set LOG_KEY_FILE={path}")
        self.stderr.write(f"public key (publish it; verifiers need it): {signer.verifier.vkey}")
