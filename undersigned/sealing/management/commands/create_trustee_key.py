from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.commissions.models import Commission
from undersigned.core.crypto import new_identity
from undersigned.core.exceptions import DomainError
from undersigned.sealing.services import trustee_add


class Command(BaseCommand):
    help = (
        "Create an age key pair for a trustee: write the private key to a file for the trustee to keep "
        "off the server, print the public key, and register it for an issuing body (with --body). "
        "Safest on the trustee's own computer with --offline, then `add_trustee` on the server; "
        "or make the key with the standard `age-keygen` tool."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", required=True, help="where to write the private key (must not exist)")
        parser.add_argument("--body", help="a commission's short name, or 'federation'")
        parser.add_argument("--name", help="the trustee's name, as the secretariat knows them")
        parser.add_argument("--offline", action="store_true", help="only make the key; register nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["offline"] and not (options["body"] and options["name"]):
            raise CommandError("give --body and --name to register the key, or --offline to only make it")
        output = Path(options["output"])
        if output.exists():
            raise CommandError(f"{output} exists already; a trustee's key is never overwritten")
        identity, public_key = new_identity()
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
            key_file.write(f"# public key: {public_key}\n{identity}\n")
        if not options["offline"]:
            commission = None
            if options["body"] != "federation":
                commission = Commission.objects.filter(slug=options["body"]).first()
                if commission is None:
                    output.unlink()
                    raise CommandError(f"no commission {options['body']!r}; or use 'federation'")
            try:
                trustee_add(actor=None, commission=commission, name=options["name"], public_key=public_key)
            except DomainError as error:
                output.unlink()
                raise CommandError(str(error)) from None
        self.stdout.write(public_key)
        self.stderr.write(
            f"The private key is in {output}. Move it off this server to the trustee, and keep a copy "
            "somewhere safe: without it, no one can open the signers' contact data."
        )
