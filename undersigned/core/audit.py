"""The record of who did what. Call ``record`` inside the transaction that makes the change, so the
change and its record commit together or not at all."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from undersigned.core.models import AuditEvent


def record(
    *, actor: AbstractBaseUser | None, action: str, subject: models.Model, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """``actor`` None means the operator's command line. ``detail`` must hold no personal data."""
    return AuditEvent.objects.create(
        # By id: core knows the user model only as settings.AUTH_USER_MODEL, not as accounts.User.
        actor_id=actor.pk if actor is not None else None,
        action=action,
        subject_type=subject._meta.model_name or "",
        subject_id=subject.pk,
        detail=detail or {},
    )


def events_for(subject: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_type=subject._meta.model_name, subject_id=subject.pk).select_related(
        "actor"
    )
