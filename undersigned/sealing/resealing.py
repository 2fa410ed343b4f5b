"""Re-sealing contact data to an issuing body's current trustees, after one is added or removed.

Every sealed record keeps in ``sealed_to`` the fingerprint of the key set it was sealed to. A
record whose fingerprint is not that of its body's active trustees now (or is empty: not known)
is opened with a trustee's identity, sealed again to the current keys and written back, a batch
at a time. The work is resumable because it is its own bookmark: a record done matches the current
set and is not picked again; a run stopped halfway loses at most the batch it was writing.

Plain data exists only in this process's memory, one record at a time, between opening and
sealing again. Nothing is written to disk or to a log but counts.

Which body a record belongs to: signatures and sign-ons, their statement's issuing body (a
commission, or the federation when it has none); organisations' contacts, the federation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models, transaction

from undersigned.commissions.models import Commission
from undersigned.core import audit
from undersigned.core.crypto import seal
from undersigned.core.progress import Progress, silent
from undersigned.federation.models import Federation
from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.sealing.selectors import SealingKeys, current_sealing_keys
from undersigned.sealing.trustee_identities import TrusteeIdentities
from undersigned.signatures.models import Signature

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class SealedKind:
    """A model with sealed data: its name in reports and audit events, and how to find the records
    of one issuing body (``statement_body`` False: they all belong to the federation)."""

    name: str
    model: type[models.Model]
    statement_body: bool

    def records_of(self, commission_id: int | None) -> models.QuerySet[models.Model] | None:
        """The body's records with sealed data; None when this kind has none for that body."""
        records = self.model._default_manager.exclude(sealed_contact=b"")
        if not self.statement_body:
            return records if commission_id is None else None
        if commission_id is None:
            return records.filter(statement__commission__isnull=True)
        return records.filter(statement__commission_id=commission_id)


# Every model that keeps sealed data: a new one belongs here, or ``reseal`` would leave its records
# sealed to a removed trustee. This is the one place where the sealing app knows the apps above it.
SEALED_KINDS = (
    SealedKind("signature", Signature, statement_body=True),
    SealedKind("sign_on", SignOn, statement_body=True),
    SealedKind("organisation_contact", OrganisationContact, statement_body=False),
)


@dataclass
class ResealCount:
    """One kind of record of one issuing body: how many were sealed to another key set when the run
    came to them, and what became of them."""

    kind: str
    body: str
    trustees: int
    found: int = 0
    resealed: int = 0
    unopened: int = 0  # the identity does not open them: left as they were
    changed_meanwhile: int = 0  # withdrawn or sealed anew while the run worked: left to their writer


@dataclass
class ResealOutcome:
    counts: list[ResealCount] = field(default_factory=list)
    stopped_at_limit: bool = False

    @property
    def resealed(self) -> int:
        return sum(count.resealed for count in self.counts)

    @property
    def unopened(self) -> int:
        return sum(count.unopened for count in self.counts)

    @property
    def without_trustee(self) -> int:
        return sum(count.found for count in self.counts if count.trustees == 0)


def _bodies(only: str | None = None) -> list[tuple[Commission | None, str]]:
    """Every issuing body (``only``: the one with this short name, or ``federation``), as pairs of
    the commission (None for the federation) and its name in reports."""
    bodies = [(None, "federation"), *((c, c.slug) for c in Commission.objects.order_by("pk"))]
    return bodies if only is None else [(commission, name) for commission, name in bodies if name == only]


def _audit_subject(commission: Commission | None) -> models.Model:
    if commission is not None:
        return commission
    federation, _created = Federation.objects.get_or_create(pk=Federation.SINGLETON_PK)
    return federation


def sealed_data_reseal(
    *,
    identities: TrusteeIdentities,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    dry_run: bool = False,
    body: str | None = None,
    report: Callable[[str], None] = lambda line: None,
    progress: Progress | None = None,
) -> ResealOutcome:
    """Re-seal every record not sealed to its body's current trustees (of the body named ``body``
    only, when given); at most ``limit`` records when given (a later run continues). A dry run
    counts those records and opens none.

    Safe beside a running site: a record is written back only if its sealed data is still what
    was opened (a conditional UPDATE), so a signer withdrawing, or signing again, meanwhile wins.
    Each batch commits with an audit event that carries its counts; records the identity does not
    open are counted and left as they are. ``report`` gets a line per kind of record it leaves
    (or, in a dry run, would re-seal); ``progress`` follows the records as they are done.
    """
    progress = progress or silent()
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    outcome = ResealOutcome()
    budget = limit
    for commission, body_name in _bodies(body):
        keys = current_sealing_keys(commission.pk if commission else None)
        for kind in SEALED_KINDS:
            records = kind.records_of(commission.pk if commission else None)
            if records is None:
                continue
            stale = records.exclude(sealed_to=keys.fingerprint)
            count = ResealCount(kind=kind.name, body=body_name, trustees=len(keys.public_keys))
            count.found = stale.count()
            if not count.found:
                continue
            outcome.counts.append(count)
            if dry_run:
                report(f"{kind.name} of {body_name}: {count.found} to re-seal to {count.trustees} trustee(s)")
                continue
            if not keys.public_keys:
                report(f"{kind.name} of {body_name}: {count.found} left as they are: the body has no active trustee")
                continue
            done = _reseal_kind(
                stale=stale,
                kind=kind,
                keys=keys,
                identities=identities,
                count=count,
                subject=_audit_subject(commission),
                batch_size=batch_size,
                budget=budget,
                progress=progress,
            )
            if budget is not None:
                budget -= done
                if budget <= 0:
                    outcome.stopped_at_limit = True
                    return outcome
    return outcome


def _reseal_kind(
    *,
    stale: models.QuerySet[models.Model],
    kind: SealedKind,
    keys: SealingKeys,
    identities: TrusteeIdentities,
    count: ResealCount,
    subject: models.Model,
    batch_size: int,
    budget: int | None,
    progress: Progress,
) -> int:
    """Works through ``stale`` in order of primary key; returns how many records it re-sealed."""
    progress.start(f"re-sealing {kind.name} of {count.body}", count.found, unit="records")
    last_pk = 0
    done = 0
    while budget is None or done < budget:
        size = batch_size if budget is None else min(batch_size, budget - done)
        batch = list(stale.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "sealed_contact")[:size])
        if not batch:
            break
        last_pk = batch[-1][0]
        # Opening and sealing again (the slow part) happen before the transaction, so it holds the
        # rows (and, on SQLite, the database) only for the writes.
        resealed: list[tuple[int, bytes, bytes]] = []
        unopened = 0
        for pk, sealed in batch:
            old = bytes(sealed)
            plain = identities.open(old)
            if plain is None:
                unopened += 1
                continue
            resealed.append((pk, old, seal(plain, keys.public_keys)))
            del plain
        written = 0
        if resealed:  # something was opened: written back, and recorded, in one transaction
            with transaction.atomic():
                written = _write_back(kind, resealed, keys, unopened, identities, subject)
        count.resealed += written
        count.unopened += unopened
        count.changed_meanwhile += len(resealed) - written
        done += written
        progress.advance(len(batch))
    progress.finish(
        f"{count.resealed} re-sealed" + (f", {count.unopened} not opened by this identity" if count.unopened else "")
    )
    return done


def _write_back(
    kind: SealedKind,
    resealed: list[tuple[int, bytes, bytes]],
    keys: SealingKeys,
    unopened: int,
    identities: TrusteeIdentities,
    subject: models.Model,
) -> int:
    """Each record is written only if it still holds what was opened; returns how many were."""
    written = 0
    for pk, old, new in resealed:
        written += kind.model._default_manager.filter(pk=pk, sealed_contact=old).update(
            sealed_contact=new, sealed_to=keys.fingerprint
        )
    audit.record(
        actor=None,
        action="sealed_data.resealed",
        subject=subject,
        detail={
            "kind": kind.name,
            "resealed": written,
            "unopened": unopened,
            "changed_meanwhile": len(resealed) - written,
            "sealed_to": keys.fingerprint,
            "trustees": len(keys.public_keys),
            "opened_with": list(identities.public_keys),
        },
    )
    return written


def stale_records_left(body: str | None = None) -> int:
    """How many records, of every kind (and body, or the body named ``body``), are not sealed to
    their body's current trustees."""
    left = 0
    for commission, _name in _bodies(body):
        keys = current_sealing_keys(commission.pk if commission else None)
        for kind in SEALED_KINDS:
            records = kind.records_of(commission.pk if commission else None)
            if records is not None:
                left += records.exclude(sealed_to=keys.fingerprint).count()
    return left
