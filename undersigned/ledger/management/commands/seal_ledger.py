from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from undersigned.ledger.services import seal_pending


class Command(BaseCommand):
    help = "Chain the count ledger's pending events now (the worker does it a few seconds after each change)."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = seal_pending()
        self.stdout.write(f"sealed {outcome.sealed} event(s) of {outcome.statements} statement(s)")
