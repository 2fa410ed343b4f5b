"""Solidarity actions: what organisations did in answer to a statement's call (a rally, a
forum, a re-publication, a letter to officials). They are reported by the organisations, shown
beside the statement, and never counted as signatures.

An action may have a photo: an ``ActionPhoto``, the image as the server re-encoded it (no metadata),
stored as organisations' logos are and named by its hash.

An organisation that is not a member reports through a public form, as it would sign on: its name
and website are copied onto the action as given, its contact confirms by email, and the editors
always review it. The contact's name, role and address are sealed to the issuing body's trustees;
the server keeps the address, encrypted with its own key, only until the outcome is mailed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from undersigned.core.public_ids import new_public_id
from undersigned.organisations.models import Organisation
from undersigned.sealing.models import SEALED_TO_LENGTH
from undersigned.statements.models import Statement

DESCRIPTION_LIMIT = 1000
# An organisation's own figure of how many took part: a positive number below this.
PARTICIPANTS_LIMIT = 10_000_000


class ActionPhoto(models.Model):
    """A photo of an action as re-encoded by the server (WebP, no metadata, at most
    ``photos.LONG_SIDE`` pixels on its long side), kept in the database so every app server behind
    a load balancer serves the same file. Named by its SHA-256, so its address never changes."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    image = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"action photo {self.sha256[:12]} ({self.width}×{self.height})"


class SolidarityAction(models.Model):
    class Kind(models.TextChoices):
        RALLY = "rally", _("Rally")
        VIGIL = "vigil", _("Vigil")
        FORUM = "forum", _("Public forum or meeting")
        REPUBLICATION = "republication", _("Re-publication of the statement")
        TRANSLATION = "translation", _("Translation of the statement")
        OFFICIALS = "officials", _("Letter or meeting with officials")
        MEDIA = "media", _("In the media")
        OTHER = "other", _("Other action")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the contact's confirmation")
        AWAITING_MODERATION = "awaiting", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="solidarity_actions")
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id)
    # The member organisation that reported it; empty for an organisation that is not a member,
    # whose name and website are then the ones it gave.
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="solidarity_actions",
        verbose_name=_("organisation"),
    )
    organisation_name = models.CharField(_("organisation's name"), max_length=200, blank=True)
    organisation_website = models.URLField(_("website"), max_length=300, blank=True)
    kind = models.CharField(_("kind of action"), max_length=16, choices=Kind.choices)
    date = models.DateField(_("date"))
    city = models.CharField(_("city or town"), max_length=120)
    country = CountryField(_("country"))
    description = models.TextField(_("description"), max_length=DESCRIPTION_LIMIT)
    # The language the description is written in, when the reporter said; empty when not known.
    description_language = models.CharField(max_length=16, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("people taking part"), null=True, blank=True)
    # PROTECT: a photo is deleted by the service that takes it off its last action, never under one.
    photo = models.ForeignKey(ActionPhoto, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_MODERATION)
    # The action is the organisation's: which of its contacts reported it is not kept (no personal
    # data to seal, purge or hand over), only that a verified member contact did.
    via_member_sign_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Of a report by an organisation that is not a member (empty for members' reports): its
    # contact, sealed; the keyed hash that finds the contact's records; the address kept, encrypted,
    # for the mails until the editors have decided.
    contact_email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    sealed_contact = models.BinaryField(blank=True, default=b"")
    sealed_to = models.CharField(max_length=SEALED_TO_LENGTH, blank=True)
    notice_address = models.BinaryField(blank=True, default=b"")
    # The language the contact wrote in, for the mails.
    language = models.CharField(max_length=16, blank=True)
    network_hash = models.CharField(max_length=64, blank=True)
    mails_sent = models.PositiveSmallIntegerField(default=0)
    mailed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("solidarity action")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "awaiting", "approved", "rejected", "withdrawn"]),
                name="solidarity_action_status_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["rally", "vigil", "forum", "republication", "translation", "officials", "media", "other"]
                ),
                name="solidarity_action_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(participants__isnull=True)
                | (Q(participants__gte=1) & Q(participants__lt=PARTICIPANTS_LIMIT)),
                name="solidarity_action_participants_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="solidarity_action_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(link="") | Q(link__startswith="http://") | Q(link__startswith="https://"),
                name="solidarity_action_link_is_http",
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(organisation_name=""),
                name="solidarity_action_names_its_organisation",
            ),
        ]
        indexes = [
            models.Index(fields=["statement", "status", "date"], name="solidarity_action_public_list"),
            models.Index(fields=["status", "created_at"], name="solidarity_action_queue"),
        ]

    def __str__(self) -> str:
        return f"action {self.pk} ({self.kind}, {self.status}) for statement {self.statement_id}"

    @property
    def organisation_shown(self) -> str:
        """The organisation's name as the pages show it: the directory's for a member, else the one given."""
        return self.organisation.name if self.organisation is not None else self.organisation_name

    @property
    def by_member(self) -> bool:
        return self.organisation_id is not None
