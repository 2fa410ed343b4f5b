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


# --- The site's transparency log (C2SP tlog-tiles; see ``site_log``) ------------------------------


class LogState(models.Model):
    """One row: the size of the site's log. Sealers lock it, so leaves are appended one batch at
    a time and every index is written once."""

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log of {self.size}"


class LogLeaf(models.Model):
    """An entry of the site's log, in the order appended: the canonical event of one ledger entry,
    with a commitment in place of a signature's or a sign-on's public id."""

    index = models.PositiveBigIntegerField(primary_key=True)
    ledger_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="log_leaf")
    entry = models.TextField()

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LogHash(models.Model):
    """A stored hash of the log's Merkle tree (leaf or complete subtree), in Go's order."""

    index = models.PositiveBigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"hash {self.index}"


class ReceiptSecret(models.Model):
    """The secret behind a signature's or a sign-on's commitment in the log: only the receipts
    given to its signer hold it, so the public log links no event to anyone else."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=40)
    secret = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["statement", "subject"], name="receipt_secret_once")]

    def __str__(self) -> str:
        return f"secret of {self.subject}"


class LogCheckpoint(models.Model):
    """A checkpoint of the site's log, signed with the log key (C2SP tlog-checkpoint)."""

    size = models.PositiveBigIntegerField(db_index=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField(help_text="The signed note, with the log's signatures only.")
    signed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"checkpoint at {self.size}"


class LogWitness(models.Model):
    """A witness the secretariat asked to cosign the log's checkpoints (C2SP tlog-witness)."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(max_length=500, help_text="The witness's URL prefix; add-checkpoint is under it.")
    vkey = models.CharField(max_length=300, help_text="The witness's public key (name+id+key).")
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=timezone.now)
    # What the witness has seen of this log: the size it last cosigned or said it knows.
    known_size = models.PositiveBigIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_cosigned_at = models.DateTimeField(null=True, blank=True)
    # A refusal (a proof it rejects, another history) stays until the witness cosigns again.
    problem = models.CharField(max_length=500, blank=True)
    problem_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class LogCosignature(models.Model):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature), as its signature line."""

    checkpoint = models.ForeignKey(LogCheckpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(LogWitness, on_delete=models.PROTECT, related_name="cosignatures")
    line = models.CharField(max_length=300)
    timestamp = models.PositiveBigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="cosignature_once")]

    def __str__(self) -> str:
        return f"{self.witness_id} on {self.checkpoint_id}"
