from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from undersigned.core.public_ids import new_public_id
from undersigned.sealing.models import SEALED_TO_LENGTH
from undersigned.statements.models import Revision, Statement


class Signature(models.Model):
    """One person's signature of one statement.

    In the clear: only what the count and the public list need. Name, address, city and
    affiliation are in ``sealed_contact``, encrypted to the issuing body's trustees.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        INVALIDATED = "invalidated", _("Invalidated")
        HELD = "held", _("Held for review")

    class NameShown(models.TextChoices):
        FULL = "full", _("My full name")
        INITIAL = "initial", _("My first name and the initial of my last name")
        HIDDEN = "hidden", _("Do not show my name (I am still counted)")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="signatures")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    # The signature's name in the public ledger and on the signer's receipt: random, so it links
    # to nothing else.
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    email_hash = models.CharField(max_length=64)
    country = CountryField()
    name_shown = models.CharField(max_length=8, choices=NameShown.choices)
    display_name = models.CharField(max_length=200, blank=True)
    wants_updates = models.BooleanField(default=False)
    sealed_contact = models.BinaryField(blank=True)
    # The fingerprint of the trustees' key set ``sealed_contact`` is sealed to (see
    # ``sealing.selectors.key_set_fingerprint``); empty means not known (sealed before it was recorded).
    sealed_to = models.CharField(max_length=SEALED_TO_LENGTH, blank=True)
    network_hash = models.CharField(max_length=64)
    proof_of_work = models.BooleanField(default=False, help_text="Whether the browser solved the proof of work.")
    language = models.CharField(max_length=16)
    mails_sent = models.PositiveSmallIntegerField(default=0)
    # When the last confirmation mail was queued: a form sent twice (a double click) within
    # ``signatures.services.RESEND_AFTER`` of it sends no second one. Empty for rows from before.
    mailed_at = models.DateTimeField(null=True, blank=True)
    # Fraud signals (see ``signatures.fraud``): their names and the score they add up to. A short
    # keyed hash of the normalised name groups near-identical names without keeping the name.
    signals = models.JSONField(default=list, blank=True)
    score = models.PositiveSmallIntegerField(default=0)
    name_key = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Erased by its signer (privacy.services.records_erase): everything personal is gone but the
    # keyed address hash, kept until the statement's retention purge so the address cannot sign twice.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signature")
        constraints = [
            models.UniqueConstraint(fields=["statement", "email_hash"], name="one_signature_per_address"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "withdrawn", "invalidated", "held"]),
                name="signature_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False), name="confirmed_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(sealed_contact=b""), name="withdrawn_keeps_no_contact"
            ),
        ]
        indexes = [
            models.Index(fields=["statement", "status", "confirmed_at"], name="signature_public_list"),
            # The public list's keyset (newest first by confirmed_at, then id), only over the rows it
            # shows: a page is one index range, at 10 million signatures as at ten.
            models.Index(
                fields=["statement", "-confirmed_at", "-id"],
                condition=Q(status="confirmed") & ~Q(display_name=""),
                name="signature_listed_keyset",
            ),
            models.Index(fields=["statement", "network_hash", "created_at"], name="signature_network"),
            models.Index(fields=["statement", "name_key", "created_at"], name="signature_name_key"),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} of {self.statement_id} ({self.status})"


class TallyShard(models.Model):
    """One of several counters of a statement's confirmed signatures in one country.

    Confirmations add to a random shard, so concurrent signers of a viral statement do not all wait
    on one row; the tally is the sum of the shards (see ``signatures.tallies``).
    """

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="tally_shards")
    country = models.CharField(max_length=2)
    shard = models.PositiveSmallIntegerField()
    confirmed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "country", "shard"], name="tally_shard_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.country}/{self.shard}: {self.confirmed}"


class Update(models.Model):
    """A message sent to a statement's confirmed signers who asked for updates (``manage.py
    send_update``). The body is kept only as its hash: the message itself is the operator's."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="updates")
    subject = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    # The public keys of the identity file that opened the signers' records: who sent it, as far
    # as the server can tell.
    sent_by = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("update")
        constraints = [
            models.UniqueConstraint(fields=["statement", "subject", "body_sha256"], name="update_once_per_text"),
        ]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.statement_id}"


class UpdateDelivery(models.Model):
    """That an update went, or is going, to a signature's address. A run writes the row before it
    hands the message over (with ``claimed_until`` set) and clears ``claimed_until`` once the mail
    server has taken it, or deletes the row if it did not; so a second run of the same update skips
    it, and two runs at once cannot both send to one signer (the second finds the first's row)."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    # Set while a run is handing the message over; a run killed meanwhile leaves it, and once it
    # has passed the next run sends to this signer. Empty: sent.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "signature"], name="update_once_per_signature"),
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} to signature {self.signature_id}"
