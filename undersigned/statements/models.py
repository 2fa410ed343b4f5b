from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.commissions.models import Commission

DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650


class Statement(models.Model):
    """A joint statement of one issuing body: a commission, or the federation as a whole (no commission).

    The text in ``original_language`` is authoritative; translations are other ``StatementText`` rows.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    slug = models.SlugField(_("short name in addresses"), max_length=100, unique=True)
    commission = models.ForeignKey(
        Commission,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("issuing body"),
        help_text=_("Empty when the federation as a whole issues the statement."),
    )
    original_language = models.CharField(_("original language"), max_length=16)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("sign-on opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("sign-on closes"), null=True, blank=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, db_index=True)
    requires_proof_of_work = models.BooleanField(
        _("require a proof of work from signers"),
        default=False,
        help_text=_("For a statement under attack by bots: signing then needs JavaScript."),
    )
    # Set by a surge of sign requests (``signatures.surge``): proof of work is asked until then.
    proof_of_work_surge_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Signers' and contacts' personal data is deleted this many days after the statement closes
    # (see ``privacy.selectors.retention_deadline``); the counts stay.
    retention_days = models.PositiveSmallIntegerField(
        _("days personal data is kept after closing"), default=DEFAULT_RETENTION_DAYS
    )
    personal_data_purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the retention purge deleted its signers' and contacts' personal data."
    )

    class Meta:
        verbose_name = _("statement")
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__gte=1) & Q(retention_days__lte=MAX_RETENTION_DAYS),
                name="statement_retention_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "closed", "withdrawn"]), name="statement_status_known"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="statement_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="statement_public_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    def needs_proof_of_work(self) -> bool:
        """Whether signers must solve the proof of work now: set by an editor, or by a surge."""
        surge = self.proof_of_work_surge_until
        return self.requires_proof_of_work or (surge is not None and surge > timezone.now())

    def takes_signatures(self, now: datetime | None = None) -> bool:
        """Open for sign-ons: published (not closed or withdrawn) and inside its window."""
        now = now or timezone.now()
        if self.status != self.Status.PUBLISHED:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class StatementText(models.Model):
    """A statement in one language: the working copy that editors and translators change.

    The public never reads this row directly; it reads the latest ``Revision``, which publishing
    copies from here. So a published text is never changed in place.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=16)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=300)
    dateline_date = models.DateField(_("date"), null=True, blank=True)
    dateline_place = models.CharField(_("place"), max_length=120, blank=True)
    headline_calls = models.JSONField(_("headline calls"), default=list, blank=True)
    body = models.TextField(_("body"), max_length=100_000)
    call_to_action = models.TextField(_("call to action"), max_length=2000, blank=True)
    translator_credit = models.CharField(_("translator credit"), max_length=200, blank=True)
    # The member organisation that offered this translation through the member sign-in (see
    # ``services.translation_offer``); empty for texts written by staff. Kept after publication,
    # as the record of who translated it; the public sees ``translator_credit``.
    offered_by = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offered_translations",
        verbose_name=_("offered by"),
    )
    has_unpublished_changes = models.BooleanField(default=True)
    published_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The revision readers see: the latest published one.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("statement text")
        constraints = [
            models.UniqueConstraint(fields=["statement", "language"], name="statement_text_one_per_language"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "in_review", "published"]), name="statement_text_status_known"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="statement_text_has_title"),
            # An organisation has at most one offer waiting for the editors per statement: it cannot
            # flood them with a draft in every language. Published offers no longer count.
            models.UniqueConstraint(
                fields=["statement", "offered_by"],
                condition=Q(offered_by__isnull=False) & ~Q(status="published"),
                name="statement_text_one_waiting_offer_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement.slug} [{self.language}]"


class Revision(models.Model):
    """One published state of a text. Never updated: an edit after publication adds a revision."""

    text = models.ForeignKey(StatementText, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    dateline_date = models.DateField(null=True, blank=True)
    dateline_place = models.CharField(max_length=120, blank=True)
    headline_calls = models.JSONField(default=list, blank=True)
    body = models.TextField()
    call_to_action = models.TextField(blank=True)
    translator_credit = models.CharField(max_length=200, blank=True)
    change_note = models.CharField(_("change note"), max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("revision")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["text", "number"], name="revision_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(change_note=""), name="revision_change_is_explained"),
        ]

    def __str__(self) -> str:
        return f"{self.text} r{self.number}"


class TranslatorAssignment(models.Model):
    """A translator may edit the draft of ``statement`` in ``language``."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="translator_assignments")
    language = models.CharField(_("language"), max_length=16)
    translator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("translator assignment")
        constraints = [
            models.UniqueConstraint(fields=["statement", "language", "translator"], name="translator_assigned_once"),
        ]

    def __str__(self) -> str:
        return f"{self.translator} → {self.statement.slug} [{self.language}]"
