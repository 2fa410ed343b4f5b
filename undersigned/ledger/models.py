"""A statement's count ledger: every event that changes a count, hash-chained in order.

Events are first written as ``PendingEvent`` rows in the transaction that changes the count, so
concurrent confirmations never wait on each other for the chain; a sealing task then appends them,
in batches, as ``LedgerEntry`` rows with a sequence number per statement and a SHA-256 chain, and
writes a ``Checkpoint``: the head that the transparency page publishes, with the counts the log
gives up to it. Entries and checkpoints are append-only: the database refuses UPDATE and DELETE
(triggers on both SQLite and PostgreSQL). Events carry no personal data: a signature or sign-on
appears by its random public id.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from undersigned.statements.models import Statement


class PendingEvent(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=40)
    country = models.CharField(max_length=2, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"pending {self.kind} of {self.subject}"


class LedgerEntry(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="ledger_entries")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=40, db_index=True)
    country = models.CharField(max_length=2, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.CharField(max_length=32, help_text="When it happened, ISO 8601 in UTC, as hashed.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["statement", "seq"], name="ledger_seq_once")]
        # The statement page and the signed statement read a statement's deliveries by kind;
        # without it each read walks every entry of the statement.
        indexes = [models.Index(fields=["statement", "kind", "seq"], name="ledger_statement_kind")]

    def __str__(self) -> str:
        return f"{self.statement_id}#{self.seq} {self.kind}"


class Checkpoint(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="ledger_checkpoints")
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    counts = models.JSONField()
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["statement", "seq"], name="checkpoint_seq_once")]
        indexes = [models.Index(fields=["statement", "-seq"], name="checkpoint_latest")]

    def __str__(self) -> str:
        return f"{self.statement_id} head #{self.seq}"


class Milestone(models.Model):
    """A count the issuing body looks forward to; its crossing is written to the ledger by the
    sealing that sees the count reach it."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="milestones")
    count = models.PositiveIntegerField()
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_seq = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["count"]
        constraints = [models.UniqueConstraint(fields=["statement", "count"], name="milestone_once")]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.count}"
