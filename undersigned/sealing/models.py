from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.commissions.models import Commission

# Hex digits of the SHA-256 that names a set of trustees' public keys (``sealed_to`` fields).
SEALED_TO_LENGTH = 16


class Trustee(models.Model):
    """Someone of an issuing body who holds a private key, off the server, that opens signers' contact
    data. The server keeps only the public key. No commission means the federation as a whole."""

    commission = models.ForeignKey(Commission, null=True, blank=True, on_delete=models.PROTECT, related_name="trustees")
    name = models.CharField(_("name"), max_length=200)
    public_key = models.CharField(_("public key"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)

    class Meta:
        # The table it had when trustees were part of the signatures app: moving the model moved no data.
        db_table = "signatures_trustee"
        verbose_name = _("trustee")
        constraints = [
            models.UniqueConstraint(fields=["commission", "public_key"], name="trustee_key_once_per_body"),
            models.CheckConstraint(condition=Q(public_key__startswith="age1"), name="trustee_key_is_age"),
        ]

    def __str__(self) -> str:
        return self.name
