from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Federation(models.Model):
    """The site's own identity. There is exactly one row (``pk`` 1), created by ``federation_get``."""

    SINGLETON_PK = 1

    default_language = models.CharField(_("default language"), max_length=8, default="en")
    offered_languages = models.JSONField(
        _("offered languages"),
        default=list,
        help_text=_("Interface languages offered in the language switcher."),
    )
    contact_email = models.EmailField(_("contact address"), blank=True)
    members_skip_review = models.BooleanField(
        _("member organisations' sign-ons need no review"),
        default=False,
        help_text=_(
            "For statements of the federation as a whole: a verified contact of a member organisation "
            "then endorses with one click, approved at once."
        ),
    )
    embed_origins = models.JSONField(
        _("sites that may embed the sign form"),
        default=list,
        blank=True,
        help_text=_("Origins (scheme://host[:port]) allowed to show the embedded sign form; empty means any site."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("federation")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="federation_single_row")]

    def __str__(self) -> str:
        return f"federation ({self.default_language})"


class FederationText(models.Model):
    """The federation's name and short description in one language."""

    federation = models.ForeignKey(Federation, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("short description"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("federation text")
        constraints = [
            models.UniqueConstraint(fields=["federation", "language"], name="federation_text_one_per_language"),
            models.CheckConstraint(condition=~models.Q(name=""), name="federation_text_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"
