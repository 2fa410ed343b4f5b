"""The signed statement's PDF, kept per statement, language and paper until its counts change.

A row is first the claim of one build (``pdf`` empty, ``claimed_at`` set): the unique constraint
on (statement, language, paper, counts key) makes sure that however many readers ask at once,
one build is enqueued. The builder fills in the bytes; older files of the same statement, language
and paper are deleted when a newer one is ready.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from undersigned.statements.models import Statement


class SignedStatementFile(models.Model):
    class Paper(models.TextChoices):
        A4 = "a4", "A4"
        LETTER = "letter", "US Letter"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=16)
    paper = models.CharField(max_length=8, choices=Paper.choices, default=Paper.A4)
    counts_key = models.CharField(
        max_length=64, help_text="Hash of the ledger head, pending events and revision the file was built from."
    )
    pdf = models.BinaryField(blank=True)
    etag = models.CharField(max_length=70, blank=True)
    names = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(null=True, blank=True, help_text="When the PDF was ready.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "language", "paper", "counts_key"], name="signed_statement_file_once"
            ),
            models.CheckConstraint(condition=Q(paper__in=["a4", "letter"]), name="signed_statement_paper_known"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} [{self.language}, {self.paper}] {self.counts_key[:12]}"
