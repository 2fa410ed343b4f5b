"""The record of who did what. Call ``record`` inside the transaction that makes the change, so the
change and its record commit together or not at all."""

from __future__ import annotations

from typing import Any

from django.db import models

from undersigned.accounts.models import User
from undersigned.core.models import AuditEvent


def record(
    *, actor: User | None, action: str, subject: models.Model, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """``actor`` None means the operator's command line. ``detail`` must hold no personal data."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        subject_type=subject._meta.model_name or "",
        subject_id=subject.pk,
        detail=detail or {},
    )


def events_for(subject: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_type=subject._meta.model_name, subject_id=subject.pk).select_related(
        "actor"
    )
