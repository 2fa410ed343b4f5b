from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which object, and when. Rows are only ever added (see ``core.audit``)."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(max_length=32)
    subject_id = models.PositiveBigIntegerField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["subject_type", "subject_id", "created_at"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}:{self.subject_id}"


class RateLimitCounter(models.Model):
    """One fixed window of one rate limit, when there is no Redis. ``key`` is already hashed."""

    key = models.CharField(max_length=200, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.PositiveBigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"


class SingleUseMark(models.Model):
    """A link or an answer that has been used, until it could not be used anyway (``expires_at``,
    Unix seconds). Kept in the database, never only in a cache: a mark a cache outage forgot
    would let a used link be used again. ``key`` is already hashed."""

    key = models.CharField(max_length=200, unique=True)
    expires_at = models.PositiveBigIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.key
