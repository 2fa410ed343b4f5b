from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.core.exceptions import DomainError
from undersigned.sealing.models import Trustee
from undersigned.sealing.services import trustee_remove


class Command(BaseCommand):
    help = (
        "Take a trustee's key out of an issuing body's keys: new contact data is no longer sealed to it. "
        "Then run `reseal` so that what was sealed to it before no longer opens with it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--body", required=True, help="a commission's short name, or 'federation'")
        parser.add_argument("--public-key", required=True, help="the trustee's age1… public key")

    def handle(self, *args: Any, **options: Any) -> None:
        trustees = Trustee.objects.filter(public_key=options["public_key"].strip(), is_active=True)
        if options["body"] == "federation":
            trustee = trustees.filter(commission__isnull=True).first()
        else:
            trustee = trustees.filter(commission__slug=options["body"]).first()
        if trustee is None:
            raise CommandError(f"no active trustee with this key for {options['body']!r}")
        try:
            trustee_remove(actor=None, trustee=trustee)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"removed {trustee.public_key} from {options['body']}; now run `manage.py reseal --identity FILE` "
            "with another trustee's key, so that records sealed to it before are sealed to the others"
        )
