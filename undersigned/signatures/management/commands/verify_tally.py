from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.core.progress import Progress
from undersigned.organisations.selectors import sign_on_tally_differences
from undersigned.signatures.tallies import tally_differences
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = (
        "Recompute every statement's counts from its confirmed signatures and approved sign-ons and "
        "compare them with the counters."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Two aggregate queries, each as long as the table: the steps are the queries.
        progress = Progress.for_command(self)
        progress.start("counting the confirmed signatures and the approved sign-ons", 2, unit="tables")
        signatures = [(d.statement_id, d.country, d.counted, d.rows) for d in tally_differences()]
        progress.advance()
        sign_ons = sign_on_tally_differences()
        progress.advance()
        progress.finish()
        if not signatures and not sign_ons:
            self.stdout.write("every count agrees with the confirmed signatures and the approved sign-ons")
            return
        ids = {statement_id for statement_id, *_rest in signatures + sign_ons}
        slugs = dict(Statement.objects.filter(pk__in=ids).values_list("pk", "slug"))
        for what, differences in (("confirmed signatures", signatures), ("approved sign-ons", sign_ons)):
            for statement_id, country, counted, rows in differences:
                self.stderr.write(
                    f"{slugs.get(statement_id, statement_id)} [{country}]: counted {counted}, {what} {rows}"
                )
        raise CommandError(f"{len(signatures) + len(sign_ons)} count(s) disagree with the rows")
