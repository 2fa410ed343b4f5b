from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.signatures.tallies import tally_differences
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = "Recompute every statement's count from its confirmed signatures and compare it with the counters."

    def handle(self, *args: Any, **options: Any) -> None:
        differences = tally_differences()
        if not differences:
            self.stdout.write("every count agrees with the confirmed signatures")
            return
        slugs = dict(Statement.objects.filter(pk__in={d.statement_id for d in differences}).values_list("pk", "slug"))
        for difference in differences:
            self.stderr.write(
                f"{slugs.get(difference.statement_id, difference.statement_id)} [{difference.country}]: "
                f"counted {difference.counted}, confirmed signatures {difference.rows}"
            )
        raise CommandError(f"{len(differences)} count(s) disagree with the confirmed signatures")
