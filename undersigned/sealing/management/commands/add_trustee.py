from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.commissions.models import Commission
from undersigned.core.exceptions import DomainError
from undersigned.sealing.services import trustee_add


class Command(BaseCommand):
    help = "Register a trustee's age public key (age1…) for an issuing body."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--body", required=True, help="a commission's short name, or 'federation'")
        parser.add_argument("--name", required=True)
        parser.add_argument("--public-key", required=True, help="the age1… line that age-keygen prints")

    def handle(self, *args: Any, **options: Any) -> None:
        commission = None
        if options["body"] != "federation":
            commission = Commission.objects.filter(slug=options["body"]).first()
            if commission is None:
                raise CommandError(f"no commission {options['body']!r}; or use 'federation'")
        try:
            trustee_add(actor=None, commission=commission, name=options["name"], public_key=options["public_key"])
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"registered {options['public_key']} for {options['body']}")
