"""The member directory (organisations, their contacts and verified email domains) and the
organisations' sign-ons to statements, with their own tally.

Contacts' names, roles and addresses are sealed to trustees' keys like signers' contact data; the
server keeps a keyed hash of each address to recognise a returning contact.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from undersigned.core.public_ids import new_public_id
from undersigned.sealing.models import SEALED_TO_LENGTH
from undersigned.statements.models import Revision, Statement


class OrganisationType(models.Model):
    """A kind of organisation. The built-in kinds' names are translated; the secretariat adds more."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("organisation type")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Logo(models.Model):
    """An organisation's logo as re-encoded by the server (WebP, no metadata; PNG for logos stored
    before), kept in the database so every app server behind a load balancer serves the same file.
    Named by its SHA-256."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    image = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"logo {self.sha256[:12]} ({self.width}×{self.height})"


class Organisation(models.Model):
    """An organisation in the directory, kept by the secretariat."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    normalised_name = models.CharField(max_length=200, db_index=True)
    country = CountryField(_("country"))
    type = models.ForeignKey(OrganisationType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    website = models.URLField(_("website"), max_length=300, blank=True)
    website_domain = models.CharField(max_length=253, blank=True, db_index=True)
    logo = models.ForeignKey(Logo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(_("public description"), max_length=2000, blank=True)
    is_member = models.BooleanField(_("member of the federation"), default=False)
    member_since = models.DateField(_("member since"), null=True, blank=True)
    email_domains = models.JSONField(
        _("verified email domains"),
        default=list,
        blank=True,
        help_text=_("Addresses at these domains are verified contacts of the organisation."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        ordering = ["normalised_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_member=True) | Q(member_since__isnull=True), name="only_members_have_member_since"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationContact(models.Model):
    """A contact person of a directory organisation. Name, role and address are sealed, to the
    federation's trustees (``manage.py reseal`` moves a contact remembered from a commission's
    sign-on, sealed to that commission's trustees, to them)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    email_hash = models.CharField(max_length=64)
    sealed_contact = models.BinaryField()
    # The fingerprint of the key set ``sealed_contact`` is sealed to; empty means not known.
    sealed_to = models.CharField(max_length=SEALED_TO_LENGTH, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email_hash"], name="contact_once_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk} of {self.organisation_id}"


class SignOn(models.Model):
    """An organisation's endorsement of a statement.

    The organisation's public details are copied here as they were given, because that is what
    is published under the statement; ``organisation`` links it to the directory when known.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the contact's confirmation")
        AWAITING_MODERATION = "awaiting", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ACTIVE_STATUSES = (Status.PENDING, Status.AWAITING_MODERATION, Status.APPROVED)

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="sign_ons")
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id)
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_ons"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    name = models.CharField(_("organisation"), max_length=200)
    normalised_name = models.CharField(max_length=200)
    country = CountryField(_("country"))
    type = models.ForeignKey(OrganisationType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    website = models.URLField(_("website"), max_length=300, blank=True)
    website_domain = models.CharField(max_length=253, blank=True)
    logo = models.ForeignKey(Logo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact_email_hash = models.CharField(max_length=64)
    sealed_contact = models.BinaryField(blank=True)
    # The fingerprint of the key set ``sealed_contact`` is sealed to; empty means not known.
    sealed_to = models.CharField(max_length=SEALED_TO_LENGTH, blank=True)
    # The contact's address, encrypted with a server key, kept only until the review's outcome is
    # mailed to them (then emptied): the sealed copy is for trustees, whom the server cannot ask.
    notice_address = models.BinaryField(blank=True)
    language = models.CharField(max_length=16)
    network_hash = models.CharField(max_length=64, blank=True)
    via_member_sign_in = models.BooleanField(default=False)
    mails_sent = models.PositiveSmallIntegerField(default=0)
    # When the last confirmation mail was queued: the form sent twice within
    # ``organisations.services.sign_ons.RESEND_AFTER`` of it sends no second one.
    mailed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-on")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "awaiting", "approved", "rejected", "withdrawn"]),
                name="sign_on_status_known",
            ),
            # A second sign-on by the same organisation (same name and country) is refused while
            # the first is pending, under review or approved.
            models.UniqueConstraint(
                fields=["statement", "normalised_name", "country"],
                condition=Q(status__in=["pending", "awaiting", "approved"]),
                name="one_active_sign_on_per_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(sealed_contact=b""), name="withdrawn_sign_on_keeps_no_contact"
            ),
        ]
        indexes = [
            models.Index(fields=["statement", "status", "country", "normalised_name"], name="sign_on_public_list"),
            models.Index(fields=["status", "created_at"], name="sign_on_queue"),
        ]

    def __str__(self) -> str:
        return f"sign-on {self.pk} by {self.name} ({self.status})"


class SignOnTally(models.Model):
    """The approved sign-ons of a statement in one country and of one type, kept as counters in
    the same transaction as each change of status (pages never count rows)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="sign_on_tallies")
    country = models.CharField(max_length=2)
    type = models.ForeignKey(OrganisationType, on_delete=models.PROTECT, related_name="+")
    approved = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "country", "type"], name="sign_on_tally_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.country}/{self.type_id}: {self.approved}"
