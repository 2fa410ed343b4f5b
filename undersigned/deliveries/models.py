"""Who a statement is handed to, each time it is handed over, and what came back.

A ``Target`` is a person or body the statement is addressed to (a minister, a rapporteur). Its
address is not a signer's personal data, but it is kept encrypted with a server key all the same, so
that it stays out of database dumps and logs, and is shown only to those who deliver.

A ``Delivery`` is the record of one handing-over: which revision, which counts and which ledger head,
by whom, with which covering text. It is written to the statement's ledger in the same transaction.
Each target of it is a ``DeliveryRecipient``: a snapshot of the target (a later edit changes no
record) and the state of its mail, sent by a background task of its own. The delivery keeps the
counts the editor confirmed; each recipient keeps the solidarity actions its mail and attached PDF
stated when sent, which differ from them if actions were approved or withdrawn in between.

A ``Response`` is a target's answer, recorded by an editor and shown on the statement page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.core.public_ids import new_public_id
from undersigned.signatures.models import Update
from undersigned.statements.models import Revision, Statement


class Target(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="delivery_targets")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    sealed_email = models.BinaryField(help_text="The address, encrypted with a server key.")
    language = models.CharField(_("preferred language"), max_length=16)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Removed targets stay, so that past deliveries keep naming them; they get no further delivery.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="target_has_a_name"),
            models.CheckConstraint(condition=~Q(language=""), name="target_has_a_language"),
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="deliveries")
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id)
    # The n-th delivery of the statement. Whoever confirms a delivery says how many they saw before
    # it; two editors confirming at once both claim the same number and the database lets one in.
    number = models.PositiveIntegerField()
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")  # the original's
    language = models.CharField(max_length=16)  # the original language: the revision's
    covering_text = models.TextField()
    signatures = models.PositiveIntegerField()
    organisations = models.PositiveIntegerField()
    # The approved solidarity actions at the time (``actions.selectors.action_counts``, as the signed
    # statement counts them), and whether the editor chose to mention them in the mail: the mail
    # says so only when both hold. Actions are not part of any count the ledger keeps. Each mail
    # states the counts read when it is sent (``DeliveryRecipient.sent_actions``).
    mention_actions = models.BooleanField(default=False)
    actions = models.PositiveIntegerField(default=0)
    action_countries = models.PositiveIntegerField(default=0)
    head_seq = models.PositiveBigIntegerField()  # the ledger head the counts come from (0: empty log)
    head_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="delivery_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="delivery_number_from_one"),
            models.CheckConstraint(condition=~Q(covering_text=""), name="delivery_has_covering_text"),
            models.CheckConstraint(
                condition=Q(action_countries__lte=F("actions")), name="delivery_action_countries_at_most_actions"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.number} of {self.statement_id}"

    @property
    def mail_mentions_actions(self) -> bool:
        return self.mention_actions and self.actions > 0


class DeliveryRecipient(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be tried again")
        GIVEN_UP = "given_up", _("given up")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="recipients")
    target = models.ForeignKey(Target, null=True, on_delete=models.SET_NULL, related_name="+")
    # The target as it was delivered to: a later edit changes no record.
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16)  # the mail's language: the target's preferred one
    text_language = models.CharField(max_length=16)  # the statement's text and PDF: the original without it
    # The address the mail goes to, encrypted; emptied once the mail is sent or given up.
    sealed_email = models.BinaryField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Held by a sending worker, or waiting for its next attempt, until then.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=60, blank=True)  # the kind of error only, never the server's words
    sent_at = models.DateTimeField(null=True, blank=True)
    # The approved solidarity actions as read once when the mail was sent: its attached PDF sums
    # them up, and its mail mentions them when the delivery does and there are some. None until
    # sent (and for mails sent before they were kept).
    sent_actions = models.PositiveIntegerField(null=True, blank=True)
    sent_action_countries = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "target"], name="delivery_recipient_once"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed", "given_up"]), name="delivery_recipient_status"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="delivery_recipient_sent_at_when_sent",
            ),
            models.CheckConstraint(
                condition=Q(sent_action_countries__lte=F("sent_actions")),
                name="delivery_recipient_sent_action_countries_at_most_actions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def sent_other_actions(self) -> bool:
        """Whether the mail went out with other action counts than its delivery recorded."""
        if self.sent_actions is None:
            return False
        return (self.sent_actions, self.sent_action_countries) != (
            self.delivery.actions,
            self.delivery.action_countries,
        )

    @property
    def mail_mentioned_actions(self) -> bool:
        return self.delivery.mention_actions and bool(self.sent_actions)


class Response(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="delivery_responses")
    target = models.ForeignKey(Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    who = models.CharField(max_length=300)  # the target's name and role when it is one, as shown
    responded_on = models.DateField()
    text = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=16)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The update that mailed it to the signers who asked for updates (``manage.py send_response``).
    update = models.ForeignKey(Update, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-responded_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | ~Q(link=""), name="response_has_text_or_link"),
            models.CheckConstraint(condition=~Q(who=""), name="response_names_who"),
        ]

    def __str__(self) -> str:
        return f"response of {self.who} on {self.responded_on}"
