"""Targets, deliveries and responses: every rule of handing a statement over, from plain values.

A delivery is confirmed by an editor who has seen its preview: the number of deliveries they saw
then comes with the confirmation, and the delivery takes the next number. Two editors confirming
at once both ask for the same number; a unique constraint lets one in and the other is told the
statement was delivered meanwhile, so nothing is sent twice.

Each recipient's mail is sent by a background task of its own (``send_delivery``), enqueued in the
transaction that records the delivery. No transaction is open while the PDF is built or the mail
server is talked to: the task claims its recipient with a lease in one short transaction, builds
and sends with none open, and records the outcome in another. Failures are tried again with
backoff, up to ``MAX_ATTEMPTS``, then given up; the staff page shows each recipient's state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.accounts.models import User
from undersigned.actions.selectors import action_counts
from undersigned.core import audit
from undersigned.core.addresses import InvalidAddressError, normalise_email
from undersigned.core.crypto import server_decrypt, server_encrypt
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import is_content_language, native_language_name
from undersigned.deliveries.models import Delivery, DeliveryRecipient, Response, Target
from undersigned.deliveries.selectors import forget_public_record, text_languages
from undersigned.exports.services import pdf_language, signed_statement_pdf_bytes
from undersigned.ledger.selectors import head_of
from undersigned.ledger.services import record_event, seal_pending
from undersigned.notifications.emails import build
from undersigned.notifications.services import mail_lease, send_mail_now
from undersigned.permissions.roles import Capability, can
from undersigned.statements.models import Statement

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # about half an hour of backoff: 1, 2, 4, 8, 16 minutes
MAX_COVERING_TEXT = 5000
MAX_RESPONSE_TEXT = 20_000
PDF_MIMETYPE = "application/pdf"


def _check_may_deliver(actor: User | None, statement: Statement) -> None:
    if actor is not None and not can(actor, Capability.DELIVER, statement):
        raise DomainError("forbidden", _("Only the statement's editors deliver it."), status=403)


# --- Targets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetInput:
    name: str
    role: str
    organisation: str
    email: str
    language: str


def _clean_target(target: TargetInput, *, address_required: bool = True) -> tuple[TargetInput, str]:
    """The target with its fields trimmed, and its address as it will be mailed to ("" when none
    is given and none is required)."""
    name, role, organisation = target.name.strip(), target.role.strip(), target.organisation.strip()
    if not name or len(name) > 200 or len(role) > 200 or len(organisation) > 200:
        raise DomainError(
            "bad_target", _("Give the target a name, and a role and organisation of at most 200 characters.")
        )
    email = target.email.strip()
    if email or address_required:
        try:
            normalise_email(email)
        except InvalidAddressError:
            raise DomainError("bad_email", _("Enter a complete email address, like name@example.org.")) from None
    if not is_content_language(target.language):
        raise DomainError("bad_language", _("Choose the language the target reads."))
    return TargetInput(name, role, organisation, email, target.language), email


def target_add(*, actor: User | None, statement: Statement, target: TargetInput) -> Target:
    _check_may_deliver(actor, statement)
    cleaned, email = _clean_target(target)
    with transaction.atomic():
        created = Target.objects.create(
            statement=statement,
            name=cleaned.name,
            role=cleaned.role,
            organisation=cleaned.organisation,
            sealed_email=server_encrypt(email.encode("utf-8")),
            language=cleaned.language,
            created_by=actor,
        )
        # The address stays out of the record: the target's id says who was added.
        audit.record(actor=actor, action="deliveries.target_added", subject=statement, detail={"target": created.pk})
    return created


def target_edit(*, actor: User | None, target: Target, changed: TargetInput) -> Target:
    """``changed.email`` empty keeps the address as it is (the form does not show it again)."""
    _check_may_deliver(actor, target.statement)
    if target.removed_at is not None:
        raise DomainError("target_removed", _("This target was removed."), status=404)
    cleaned, email = _clean_target(changed, address_required=False)
    keep_address = not email
    target.name, target.role, target.organisation, target.language = (
        cleaned.name,
        cleaned.role,
        cleaned.organisation,
        cleaned.language,
    )
    fields = ["name", "role", "organisation", "language"]
    if not keep_address:
        target.sealed_email = server_encrypt(email.encode("utf-8"))
        fields.append("sealed_email")
    with transaction.atomic():
        target.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="deliveries.target_changed",
            subject=target.statement,
            detail={"target": target.pk, "address_changed": not keep_address},
        )
    return target


def target_remove(*, actor: User | None, target: Target) -> None:
    _check_may_deliver(actor, target.statement)
    with transaction.atomic():
        if Target.objects.filter(pk=target.pk, removed_at__isnull=True).update(removed_at=timezone.now()):
            audit.record(
                actor=actor, action="deliveries.target_removed", subject=target.statement, detail={"target": target.pk}
            )


def target_email(target: Target | DeliveryRecipient) -> str:
    """The address, opened with the server key: for the mail, and for those who deliver."""
    return server_decrypt(bytes(target.sealed_email)).decode("utf-8")


# --- Deliveries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientPreview:
    target: Target
    text_language: str  # the language of the statement's text and PDF for this target
    falls_back: bool  # no published text in the target's language: the original instead
    message: EmailMultiAlternatives
    attachment_name: str
    attachment_size: int | None  # None while a big statement's PDF is being prepared


@dataclass(frozen=True)
class DeliveryPlan:
    covering_text: str
    seen_deliveries: int
    delivered_today: bool
    signatures: int
    organisations: int
    head_seq: int
    recipients: list[RecipientPreview]
    mention_actions: bool  # the editor's choice
    actions: int  # approved solidarity actions now, and in how many countries
    action_countries: int

    @property
    def mail_mentions_actions(self) -> bool:
        return self.mention_actions and self.actions > 0


def _check_deliverable(statement: Statement) -> None:
    if statement.status not in (Statement.Status.PUBLISHED, Statement.Status.CLOSED):
        raise DomainError("not_deliverable", _("Only a published or closed statement can be delivered."))


def _check_covering_text(covering_text: str) -> str:
    text = covering_text.strip()
    if not text:
        raise DomainError("empty_covering_text", _("Write a short covering text: the mail starts with it."))
    if len(text) > MAX_COVERING_TEXT:
        raise DomainError("covering_text_too_long", _("Keep the covering text under 5,000 characters."))
    return text


def attachment_name(statement: Statement, text_language: str) -> str:
    return f"{statement.slug}-signed-statement-{text_language}.pdf"


def actions_mention(actions: int, countries: int) -> str:
    """The mail's sentence on the statement's solidarity actions, in the active language; empty when
    there is none to mention. The numbers are those the signed statement's summary shows."""
    if not actions:
        return ""
    in_countries = ngettext("%(count)d country", "%(count)d countries", countries) % {"count": countries}
    return ngettext(
        "Besides the signatures, organisations answered this statement with %(count)d solidarity action "
        "in %(countries)s; it is not part of the signature count. The attached document sums it up, and it is "
        "listed here:",
        "Besides the signatures, organisations answered this statement with %(count)d solidarity actions "
        "in %(countries)s; they are not part of the signature count. The attached document sums them up, and "
        "they are listed here:",
        actions,
    ) % {"count": actions, "countries": in_countries}


def delivery_message(
    *,
    statement: Statement,
    to: str,
    name: str,
    role: str,
    language: str,
    text_language: str,
    covering_text: str,
    signatures: int,
    organisations: int,
    actions: int,
    action_countries: int,
) -> EmailMultiAlternatives:
    """The mail one target gets, without its attachment: the preview shows exactly this.
    ``actions`` is 0 for a mail that does not mention the solidarity actions."""
    titles = text_languages(statement.pk)
    with translation.override(language):
        mention = actions_mention(actions, action_countries)
    return build(
        "delivery",
        to,
        {
            "recipient_name": name,
            "recipient_role": role,
            "covering_text": covering_text,
            "statement_title": titles.get(text_language, ""),
            "statement_url": settings.SITE_URL + reverse("statements:read_in", args=[statement.slug, text_language]),
            "transparency_url": settings.SITE_URL + reverse("ledger:transparency", args=[statement.slug]),
            "signatures": signatures,
            "organisations": organisations,
            "falls_back": text_language != language,
            "text_language_name": native_language_name(text_language),
            "attachment_name": attachment_name(statement, text_language),
            "actions_mention": mention,
            "actions_url": settings.SITE_URL + reverse("actions:list", args=[statement.slug]),
        },
        language,
    )


def _text_language(statement: Statement, language: str) -> str:
    return pdf_language(statement_id=statement.pk, language=language)


def _pdf_size(statement: Statement, text_language: str) -> int | None:
    """The attachment's size: a small statement's PDF is built now if need be; a big one's is
    measured once its background build is done (the build is asked for here)."""
    from undersigned.exports.services import file_request

    stored = file_request(slug=statement.slug, language=text_language, paper="a4")
    return len(stored.pdf) if stored is not None else None


def _counts_now(statement: Statement) -> tuple[int, int, int, str]:
    """Signatures, organisations, and the ledger head (seq, hash) they come from. Events still
    pending are sealed first, so the counts are those of this moment, not of a few seconds ago."""
    seal_pending()
    head = head_of(statement.pk)
    if head is None:
        return 0, 0, 0, "0" * 64
    return int(head.counts["signatures"]["total"]), int(head.counts["organisations"]["total"]), head.seq, head.hash


def _delivered_today(statement: Statement) -> bool:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    return Delivery.objects.filter(statement=statement, created_at__gte=start).exists()


def delivery_plan(
    *, actor: User | None, statement: Statement, covering_text: str, mention_actions: bool = False
) -> DeliveryPlan:
    """What a delivery now would send, to whom, in which language: the preview. Writes nothing."""
    _check_may_deliver(actor, statement)
    _check_deliverable(statement)
    text = _check_covering_text(covering_text)
    targets = list(Target.objects.filter(statement=statement, removed_at__isnull=True))
    if not targets:
        raise DomainError("no_targets", _("Add at least one target before delivering."))
    signatures, organisations, head_seq, _hash = _counts_now(statement)
    # The selector the signed statement's summary reads (uncached), so the mail and the PDF agree.
    actions = action_counts(statement.pk)
    mentioned = actions if mention_actions else None
    recipients = []
    sizes: dict[str, int | None] = {}
    for target in targets:
        text_language = _text_language(statement, target.language)
        if text_language not in sizes:
            sizes[text_language] = _pdf_size(statement, text_language)
        message = delivery_message(
            statement=statement,
            to=target_email(target),
            name=target.name,
            role=target.role,
            language=target.language,
            text_language=text_language,
            covering_text=text,
            signatures=signatures,
            organisations=organisations,
            actions=mentioned.total if mentioned else 0,
            action_countries=mentioned.countries if mentioned else 0,
        )
        recipients.append(
            RecipientPreview(
                target=target,
                text_language=text_language,
                falls_back=text_language != target.language,
                message=message,
                attachment_name=attachment_name(statement, text_language),
                attachment_size=sizes[text_language],
            )
        )
    return DeliveryPlan(
        covering_text=text,
        seen_deliveries=Delivery.objects.filter(statement=statement).count(),
        delivered_today=_delivered_today(statement),
        signatures=signatures,
        organisations=organisations,
        head_seq=head_seq,
        recipients=recipients,
        mention_actions=mention_actions,
        actions=actions.total,
        action_countries=actions.countries,
    )


def _delivered_meanwhile() -> DomainError:
    return DomainError(
        "delivered_meanwhile",
        _("This statement was delivered meanwhile, by another editor or in another window: nothing was sent again."),
        status=409,
    )


def _check_delivery_now(statement: Statement, *, seen_deliveries: int, again_today: bool) -> list[Target]:
    """The statement's current targets, unless a delivery is refused now: one was made since the
    editor's preview, one was made today and ``again_today`` is not ticked, or there is no target."""
    if Delivery.objects.filter(statement=statement).count() != seen_deliveries:
        raise _delivered_meanwhile()
    if not again_today and _delivered_today(statement):
        raise DomainError(
            "delivered_today",
            _("This statement was already delivered today. Tick “deliver again today” to send it once more."),
        )
    targets = list(Target.objects.filter(statement=statement, removed_at__isnull=True))
    if not targets:
        raise DomainError("no_targets", _("Add at least one target before delivering."))
    return targets


def delivery_create(
    *,
    actor: User | None,
    statement: Statement,
    covering_text: str,
    seen_deliveries: int,
    again_today: bool,
    mention_actions: bool = False,
) -> Delivery:
    """Records the delivery to every current target, writes it to the ledger and queues one mail
    per target, all in one transaction. ``seen_deliveries`` is how many deliveries the confirming
    editor saw in the preview: if another was made since, nothing is recorded and the editor is told.
    The approved solidarity actions are counted now and recorded with the delivery, as confirmed;
    each mail mentions them when ``mention_actions`` and there are some when it is sent, with the
    counts of then, which its PDF shows (``recipient_send``).

    Call with no transaction open (pending ledger events are sealed first, in their own).
    """
    _check_may_deliver(actor, statement)
    _check_deliverable(statement)
    text = _check_covering_text(covering_text)
    # Refused before the pending events are sealed, so that a refused delivery changes nothing;
    # checked again below, in the transaction, for a delivery made meanwhile.
    _check_delivery_now(statement, seen_deliveries=seen_deliveries, again_today=again_today)
    signatures, organisations, head_seq, head_hash = _counts_now(statement)
    with transaction.atomic():
        targets = _check_delivery_now(statement, seen_deliveries=seen_deliveries, again_today=again_today)
        original = statement.texts.select_related("published_revision").get(language=statement.original_language)
        if original.published_revision is None:
            raise DomainError("not_deliverable", _("The original text is not published."))
        actions = action_counts(statement.pk)
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    statement=statement,
                    number=seen_deliveries + 1,
                    revision=original.published_revision,
                    language=statement.original_language,
                    covering_text=text,
                    signatures=signatures,
                    organisations=organisations,
                    mention_actions=mention_actions,
                    actions=actions.total,
                    action_countries=actions.countries,
                    head_seq=head_seq,
                    head_hash=head_hash,
                    created_by=actor,
                )
        except IntegrityError:
            raise _delivered_meanwhile() from None
        from undersigned.deliveries.tasks import send_delivery

        for target in targets:
            recipient = DeliveryRecipient.objects.create(
                delivery=delivery,
                target=target,
                name=target.name,
                role=target.role,
                organisation=target.organisation,
                language=target.language,
                text_language=_text_language(statement, target.language),
                sealed_email=bytes(target.sealed_email),
            )
            send_delivery.enqueue(recipient.pk)  # commits with the delivery, or not at all
        record_event(
            statement_id=statement.pk,
            kind="statement.delivered",
            subject=delivery.public_id,
            detail={
                "targets": [
                    {"name": target.name, "role": target.role, "organisation": target.organisation}
                    for target in targets
                ],
                "signatures": signatures,
                "organisations": organisations,
                "revision": original.published_revision.number,
                "language": statement.original_language,
            },
        )
        audit.record(
            actor=actor,
            action="deliveries.delivered",
            subject=statement,
            detail={
                "delivery": delivery.public_id,
                "targets": len(targets),
                "signatures": signatures,
                "mention_actions": mention_actions,
                "actions": actions.total,
                "action_countries": actions.countries,
            },
        )
        transaction.on_commit(lambda: forget_public_record(statement.pk))
    return delivery


@dataclass(frozen=True)
class _Claim:
    recipient: DeliveryRecipient
    until: datetime


def _enqueue_send(recipient_id: int, run_after: datetime | None = None) -> None:
    from undersigned.deliveries.tasks import send_delivery

    task = send_delivery.using(run_after=run_after) if run_after else send_delivery
    task.enqueue(recipient_id)


def recipient_send(*, recipient_id: int) -> str:
    """Sends one recipient's mail with the PDF attached; on failure tries again later, up to
    ``MAX_ATTEMPTS``, then gives up. The caller holds no transaction. Returns what happened,
    never the address.

    The mail and its PDF state the same solidarity actions, read when the mail is sent, and the
    recipient keeps them: should none be approved any more, the mail does not mention them."""
    claim = _claim(recipient_id)
    if isinstance(claim, str):
        return claim
    recipient = claim.recipient
    delivery = recipient.delivery
    statement = delivery.statement
    try:
        address = target_email(recipient)
    except InvalidToken:
        # Encrypted under a server key that is no longer configured: no one can ever send it.
        return _record_failure(claim, "undecryptable", final=True)
    # Read once, now, for both the PDF and the mail: since the delivery was recorded (minutes or,
    # with retries, hours ago) actions may have been approved or withdrawn, and the mail must say
    # what the document attached to it says. The delivery keeps the counts its editor confirmed.
    actions = action_counts(statement.pk)
    mentioned = actions if delivery.mention_actions else None
    try:
        pdf = signed_statement_pdf_bytes(statement_id=statement.pk, language=recipient.text_language, actions=actions)
    except Exception as error:  # a PDF that cannot be built now may be built on the next attempt
        logger.exception("the signed statement's PDF could not be built for a delivery")
        return _record_failure(claim, f"pdf: {type(error).__name__}")
    message = delivery_message(
        statement=statement,
        to=address,
        name=recipient.name,
        role=recipient.role,
        language=recipient.language,
        text_language=recipient.text_language,
        covering_text=delivery.covering_text,
        signatures=delivery.signatures,
        organisations=delivery.organisations,
        actions=mentioned.total if mentioned else 0,
        action_countries=mentioned.countries if mentioned else 0,
    )
    message.attach(attachment_name(statement, recipient.text_language), pdf, PDF_MIMETYPE)
    try:
        send_mail_now(message)  # no transaction open: the claim has committed
    except Exception as error:
        # smtplib's errors are OSErrors; anything else is retried and given up on alike, as mail
        # is: a task that failed never runs again, and would leave the recipient claimed for ever.
        return _record_failure(claim, type(error).__name__)
    DeliveryRecipient.objects.filter(pk=recipient.pk).exclude(status=DeliveryRecipient.Status.SENT).update(
        status=DeliveryRecipient.Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        sealed_email=b"",
        sent_actions=actions.total,
        sent_action_countries=actions.countries,
    )
    return "sent"


def _claim(recipient_id: int) -> _Claim | str:
    """Takes the recipient for ``mail_lease()``, or says why not: "done" (sent or given up) or "held"
    (being sent by another worker, or waiting for its next attempt, whose task is queued)."""
    waiting = [DeliveryRecipient.Status.QUEUED, DeliveryRecipient.Status.FAILED]
    with transaction.atomic():
        now = timezone.now()
        until = now + mail_lease()
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
        # One conditional UPDATE: of concurrent claims only one matches. The attempt is counted
        # now, so that a recipient whose worker dies every time is given up too.
        claimed = DeliveryRecipient.objects.filter(free, pk=recipient_id, status__in=waiting).update(
            claimed_until=until, attempts=F("attempts") + 1
        )
        if not claimed:
            return "held" if DeliveryRecipient.objects.filter(pk=recipient_id, status__in=waiting).exists() else "done"
        recipient = DeliveryRecipient.objects.select_related("delivery__statement").get(pk=recipient_id)
        if recipient.attempts > MAX_ATTEMPTS:  # the last attempts died with their workers
            DeliveryRecipient.objects.filter(pk=recipient_id).update(
                status=DeliveryRecipient.Status.GIVEN_UP, claimed_until=None, sealed_email=b""
            )
            return "given up"
    # Should this worker die before it records the outcome, the task sweep runs this task again
    # once its maximum run time, longer than the lease, is past (``tasks_sweep.services.max_run_time``).
    return _Claim(recipient=recipient, until=until)


def _record_failure(claim: _Claim, kind: str, *, final: bool = False) -> str:
    recipient = claim.recipient
    with transaction.atomic():
        mine = DeliveryRecipient.objects.filter(pk=recipient.pk, claimed_until=claim.until)
        if not mine.select_for_update().values_list("pk", flat=True):
            return "held"  # the lease ran out meanwhile: another worker has it now
        if final or recipient.attempts >= MAX_ATTEMPTS:
            mine.update(
                status=DeliveryRecipient.Status.GIVEN_UP, claimed_until=None, last_error=kind[:60], sealed_email=b""
            )
            logger.warning("giving up on a delivery mail after %s attempts: %s", recipient.attempts, kind)
            return "given up"
        retry_at = timezone.now() + timedelta(minutes=2 ** (recipient.attempts - 1))
        # Held until the retry, so that no other task sends it sooner; the retry's task commits
        # with the hold.
        mine.update(status=DeliveryRecipient.Status.FAILED, claimed_until=retry_at, last_error=kind[:60])
        _enqueue_send(recipient.pk, run_after=retry_at)
    return "retry"


def recipient_retry_now(*, actor: User | None, recipient: DeliveryRecipient) -> None:
    """Sends a failed or given-up recipient's mail again at once (after the editor fixed the address,
    say): the attempts start again."""
    statement = recipient.delivery.statement
    _check_may_deliver(actor, statement)
    target = recipient.target
    if recipient.status == DeliveryRecipient.Status.SENT:
        raise DomainError("already_sent", _("This mail was sent."))
    with transaction.atomic():
        address = bytes(target.sealed_email) if target is not None and target.removed_at is None else b""
        changed = DeliveryRecipient.objects.filter(
            pk=recipient.pk, status__in=[DeliveryRecipient.Status.FAILED, DeliveryRecipient.Status.GIVEN_UP]
        ).update(
            status=DeliveryRecipient.Status.QUEUED,
            attempts=0,
            claimed_until=None,
            **({"sealed_email": address} if address else {}),
        )
        if not changed:
            raise DomainError("not_failed", _("Only a mail that failed can be tried again now."))
        _enqueue_send(recipient.pk)
        audit.record(actor=actor, action="deliveries.retried", subject=statement, detail={"recipient": recipient.pk})


# --- Responses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseInput:
    target_id: int | None
    who: str
    responded_on: date
    text: str
    link: str
    language: str


def response_record(*, actor: User | None, statement: Statement, response: ResponseInput) -> Response:
    _check_may_deliver(actor, statement)
    target = None
    who = response.who.strip()
    if response.target_id is not None:
        target = Target.objects.filter(pk=response.target_id, statement=statement).first()
        if target is None:
            raise DomainError("bad_target", _("Choose one of the statement's targets, or name who answered."))
        if not who:
            who = ", ".join(part for part in (target.name, target.role) if part)
    if not who or len(who) > 300:
        raise DomainError("no_who", _("Say who answered (at most 300 characters)."))
    if response.responded_on > timezone.localdate() + timedelta(days=1):
        raise DomainError("future_date", _("The date of the answer is in the future."))
    text, link = response.text.strip(), response.link.strip()
    if not text and not link:
        raise DomainError("empty_response", _("Give the answer's text, or a link to it."))
    if len(text) > MAX_RESPONSE_TEXT:
        raise DomainError("response_too_long", _("Keep the answer under 20,000 characters; link to a longer one."))
    if link and (not link.lower().startswith(("https://", "http://")) or len(link) > 500):
        raise DomainError("bad_link", _("A link starts with https:// or http://."))
    if not is_content_language(response.language):
        raise DomainError("bad_language", _("Choose the language of the answer."))
    with transaction.atomic():
        created = Response.objects.create(
            statement=statement,
            target=target,
            who=who,
            responded_on=response.responded_on,
            text=text,
            link=link,
            language=response.language,
            recorded_by=actor,
        )
        audit.record(
            actor=actor, action="deliveries.response_recorded", subject=statement, detail={"response": created.pk}
        )
        transaction.on_commit(lambda: forget_public_record(statement.pk))
    return created
