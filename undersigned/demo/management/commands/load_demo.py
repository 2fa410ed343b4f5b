from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from undersigned.core.exceptions import DomainError
from undersigned.demo.services import (
    DEMO_AUTHENTICATOR_KEY,
    DEMO_BACKUP_CODES,
    DEMO_MEMBER_DOMAIN,
    demo_load,
    demo_trustee_keys_dir,
)


class Command(BaseCommand):
    help = "Load neutral demo data (a federation, two commissions, two staff accounts). Safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off. The demo passwords are public: never on a live site.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("load_demo creates accounts with published passwords; it runs only with DEBUG=true")
        try:
            accounts = demo_load()
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write("Demo data is loaded. Staff sign-in at " + settings.SITE_URL + "/accounts/sign-in/")
        for account in accounts:
            state = "created" if account.created else "already there, password unchanged"
            self.stdout.write(f"  {account.role:<12} {account.email:<26} password: {account.password}  ({state})")
        self.stdout.write(
            f"  Second factor of both: key {DEMO_AUTHENTICATOR_KEY} in an authenticator app, "
            f"or one of the backup codes {', '.join(DEMO_BACKUP_CODES)} (each once; run the demo again to renew them)"
        )
        self.stdout.write(
            "A member organisation's contact endorses with one click: ask for a sign-in link at "
            f"{settings.SITE_URL}/organisations/members/sign-in/ with any address @{DEMO_MEMBER_DOMAIN}"
        )
        self.stdout.write(
            f"WARNING: the demo trustees' private keys are in {demo_trustee_keys_dir()}. That is for the demo "
            "only: on a real site private keys never touch the server. Open an export with\n"
            f"  manage.py open_export EXPORT.zip --identity {demo_trustee_keys_dir()}/public-libraries.key"
        )
