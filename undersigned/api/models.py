"""Staff API tokens: what a member of staff hands to a script so that it can read their statements
or act on them through /api/v1/staff/.

Only a digest of the secret is kept, with a short public prefix that finds the row and that the
owner sees in their list; the whole secret is shown once, when it is made. A token acts as its
owner and never for more: every use asks the same permission functions as the staff pages, with
the owner's roles at that moment, and each scope is only a further limit on top of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 12


class Scope(models.TextChoices):
    READ = "read", _("Read the staff data of your statements")
    MODERATE = "moderate", _("Moderate: review sign-ons, invalidate or restore signatures")
    DELIVER = "deliver", _("Deliver: targets, deliveries and responses")


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    # SHA-256 of the whole token: its secret has 256 random bits, so no slow hash is needed.
    digest = models.CharField(max_length=64)
    # The owner's session hash when the token was made: a new password ends the token, as it ends
    # the owner's other sessions (Django's session hash changes with the password).
    password_stamp = models.CharField(max_length=128)
    can_read = models.BooleanField(default=False)
    can_moderate = models.BooleanField(default=False)
    can_deliver = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        constraints = [
            models.CheckConstraint(
                condition=Q(can_read=True) | Q(can_moderate=True) | Q(can_deliver=True),
                name="api_token_has_a_scope",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires"),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user")]

    def __str__(self) -> str:
        return f"token {self.prefix} of {self.user_id}"

    @property
    def scopes(self) -> list[str]:
        flags = {Scope.READ: self.can_read, Scope.MODERATE: self.can_moderate, Scope.DELIVER: self.can_deliver}
        return [str(scope) for scope, granted in flags.items() if granted]

    def has_scope(self, scope: Scope) -> bool:
        return str(scope) in self.scopes
