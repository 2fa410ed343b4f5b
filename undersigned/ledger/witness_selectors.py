"""Reading the site's log as the secretariat watches it: its keys, its size, its newest checkpoint
and what each witness did with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max

from undersigned.ledger import site_log
from undersigned.ledger.log_selectors import newest_checkpoint
from undersigned.ledger.models import LogState, LogWitness


@dataclass(frozen=True)
class WitnessRow:
    witness: LogWitness
    cosigned_size: int | None  # the largest checkpoint it cosigned, None if none yet


@dataclass(frozen=True)
class LogOverview:
    origin: str | None  # None while the site has no log key
    vkeys: list[str]  # the log's public keys, the first the log's own
    size: int
    checkpoint_size: int | None
    checkpoint_signed_at: datetime | None
    witnesses: list[WitnessRow]

    @property
    def refusing(self) -> list[LogWitness]:
        return [row.witness for row in self.witnesses if row.witness.active and row.witness.problem]


def log_overview() -> LogOverview:
    verifiers = site_log.log_verifiers()
    checkpoint = newest_checkpoint()
    witnesses = LogWitness.objects.annotate(cosigned_size=Max("cosignatures__checkpoint__size")).order_by(
        "-active", "name"
    )
    return LogOverview(
        origin=verifiers[0].name if verifiers else None,
        vkeys=[verifier.vkey for verifier in verifiers],
        size=LogState.objects.filter(pk=1).values_list("size", flat=True).first() or 0,
        checkpoint_size=checkpoint.size if checkpoint else None,
        checkpoint_signed_at=checkpoint.signed_at if checkpoint else None,
        witnesses=[WitnessRow(witness=witness, cosigned_size=witness.cosigned_size) for witness in witnesses],
    )


def witnesses_refusing() -> list[LogWitness]:
    """The active witnesses whose last answer was a refusal, for the staff dashboard's alert."""
    return list(LogWitness.objects.filter(active=True).exclude(problem="").order_by("problem_since", "name"))
