from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Commission(models.Model):
    """An issuing body of the federation. Its name and mandate are written per language."""

    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    members_skip_review = models.BooleanField(
        _("member organisations' sign-ons need no review"),
        default=False,
        help_text=_("A verified contact of a member organisation then endorses with one click, approved at once."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class CommissionText(models.Model):
    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    name = models.CharField(_("name"), max_length=200)
    mandate = models.TextField(_("mandate"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("commission text")
        constraints = [
            models.UniqueConstraint(fields=["commission", "language"], name="commission_text_one_per_language"),
            models.CheckConstraint(condition=~models.Q(name=""), name="commission_text_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"


class CommissionMembership(models.Model):
    """A staff user's role in one commission. What each role may do is in ``permissions.roles``."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        MODERATOR = "moderator", _("Moderator")
        TRANSLATOR = "translator", _("Translator")
        VIEWER = "viewer", _("Viewer")

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("commission membership")
        constraints = [
            models.UniqueConstraint(fields=["commission", "user"], name="commission_membership_once"),
            models.CheckConstraint(
                condition=models.Q(role__in=["editor", "moderator", "translator", "viewer"]),
                name="commission_role_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} of {self.commission}"
