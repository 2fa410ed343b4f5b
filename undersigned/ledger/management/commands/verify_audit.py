from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.core.progress import Progress
from undersigned.ledger.selectors import verify_all


class Command(BaseCommand):
    help = (
        "Recompute every statement's count ledger: its hash chain, its published heads, and the counts "
        "it gives against the counters the pages show. Exits non-zero, naming the first bad entry."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        for result in verify_all(Progress.for_command(self)):
            if not result.problems:
                self.stdout.write(f"{result.statement}: {result.entries} entries, chain and counts agree")
                continue
            failures += 1
            where = f" (first bad entry: {result.first_bad_seq})" if result.first_bad_seq is not None else ""
            self.stderr.write(f"{result.statement}: {len(result.problems)} problem(s){where}")
            for problem in result.problems[:20]:
                self.stderr.write(f"  {problem}")
        if failures:
            raise CommandError(f"{failures} statement(s) fail the audit")
