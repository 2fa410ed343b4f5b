"""Signers' and contacts' data rights (the emailed link, withdrawal, erasure) and retention (the
secretariat's setting and the purge).

Erasing and purging anonymise a record rather than delete it: its status, country and times stay,
so a confirmed signature stays counted, the counters, the ledger and ``verify_tally`` still agree,
and the audit log keeps what it refers to. What goes is everything that leads back to the person:
the sealed contact, the name as shown, the wish for updates, the address hash (replaced by a
stand-in that no address can produce), the network hash and the name key. A directory contact
(the secretariat's list of whom to trust for one-click endorsements) is deleted outright.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from undersigned.accounts.models import User
from undersigned.actions.models import SolidarityAction
from undersigned.actions.services import unconfirmed_reports_delete
from undersigned.core import audit, ratelimit
from undersigned.core.addresses import InvalidAddressError
from undersigned.core.bot_check import FormTimer
from undersigned.core.exceptions import DomainError
from undersigned.core.progress import Progress, silent
from undersigned.core.public_ids import is_public_id
from undersigned.notifications.emails import build
from undersigned.notifications.services import mail_enqueue, mail_purge_stale, recipient_check, too_many_mails
from undersigned.organisations.models import Organisation, OrganisationContact, SignOn
from undersigned.organisations.services.sign_ons import sign_on_withdraw
from undersigned.privacy.models import PurgeSchedule
from undersigned.privacy.rehash import rehash_address
from undersigned.privacy.selectors import (
    ERASED_PREFIX,
    DuePurge,
    has_records,
    personal_records_of,
    statements_due_for_purge,
)
from undersigned.privacy.tokens import LINK_HOURS, PersonRef, data_link_token
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tallies import tally_for_statement
from undersigned.statements.models import MAX_RETENTION_DAYS, Statement
from undersigned.statements.selectors import forget_statement

logger = logging.getLogger(__name__)
PURGE_BATCH = 5000


# --- The emailed link ---------------------------------------------------------------------------


DATA_LINK_FORM_TIMER = FormTimer(
    salt="undersigned.privacy.form-started",
    message=gettext_lazy("The form was sent back too quickly. Check your address and send it again."),
)


def data_link_refusal(*, started: str, honeypot: str) -> DomainError | None:
    """The rule that needs no address: a person, not a script, filled in the form. Asked first by
    ``data_link_request``, and by the page when the form came back with mistakes."""
    return DATA_LINK_FORM_TIMER.refusal(started=started, honeypot=honeypot)


def data_link_request(*, email: str, started: str, honeypot: str, network_hash: str, language: str) -> None:
    """Mails the link to the person's records if the server holds any for the address; otherwise
    builds the same message without sending it, so the answer takes about as long either way.
    Refuses a form a script probably sent (``too_fast``) and too many links asked for from one
    network or for one address (``too_many``).

    The caller answers every accepted case with the same page, and has checked ``email`` is complete.
    """
    refusal = data_link_refusal(started=started, honeypot=honeypot)
    if refusal is not None:
        raise refusal
    try:
        rehash_address(email)
        ref = PersonRef.of_address(email)
    except InvalidAddressError:
        raise DomainError(
            "invalid_field", _("Enter a complete email address, like name@example.org."), detail={"field": "email"}
        ) from None
    network, address = network_hash[:32], ref.signer_hash[:32]
    refused_by = ratelimit.count_hits(
        (
            ("data_link.network", network),
            ("data_link.address", address),
            ("data_link.address.daily", address),
        )
    ).refused_by
    if refused_by:
        raise DomainError(
            "too_many",
            _("Too many links were asked for from your network or for this address. Please try again in an hour."),
            status=429,
        )
    context = {
        "data_url": settings.SITE_URL + reverse("privacy:records", args=[data_link_token(ref)]),
        "hours": LINK_HOURS,
    }
    # The address's daily mail budget counts mails sent, not requests: asking for links to an
    # address the server knows nothing of sends nothing and must not use up its owner's budget.
    # Such a request still answers "too many mails" when the budget is spent, as one that would
    # have mailed does, so the answer does not tell whether the server holds records.
    recipient = recipient_check(email)
    if has_records(ref):
        if not ratelimit.allow(recipient):
            raise too_many_mails()
        mail_enqueue(name="data_link", to=email.strip(), language=language, context=context)
    else:
        if ratelimit.reached(recipient):
            raise too_many_mails()
        build("data_link", email.strip(), context, language)


# --- Withdrawal and erasure, from the link -------------------------------------------------------


def _not_yours() -> DomainError:
    return DomainError("not_found", _("This record is not among yours, or no longer exists."), status=404)


def _receipt_or_not_yours(receipt: str) -> str:
    """A receipt as the page posted it; anything that cannot be one is simply not among theirs."""
    if not is_public_id(receipt):
        raise _not_yours()
    return receipt


def signature_withdraw_by_signer(*, ref: PersonRef, receipt: str) -> bool:
    """Withdraws one of the person's signatures, named by its receipt. True if it changed."""
    receipt = _receipt_or_not_yours(receipt)
    found = Signature.objects.filter(email_hash=ref.signer_hash, public_id=receipt).values_list("pk", "statement_id")
    row = found.first()
    if row is None:
        raise _not_yours()
    signature_id, statement_id = row
    changed = signature_withdraw(signature_id=signature_id, statement_id=statement_id)
    if changed:
        tally_for_statement(statement_id, fresh=True)  # the statement page shows the change at once
    return changed


def updates_stop_by_signer(*, ref: PersonRef, receipt: str) -> bool:
    """No more updates for one of the person's signatures, which stays as it is. True if it changed."""
    receipt = _receipt_or_not_yours(receipt)
    found = Signature.objects.filter(email_hash=ref.signer_hash, public_id=receipt, erased_at__isnull=True)
    if not found.exists():
        raise _not_yours()
    return bool(found.filter(wants_updates=True).update(wants_updates=False))


def sign_on_withdraw_by_contact(*, ref: PersonRef, receipt: str) -> bool:
    """Withdraws a sign-on the person is the contact of, named by its receipt. True if it changed."""
    receipt = _receipt_or_not_yours(receipt)
    row = SignOn.objects.filter(contact_email_hash=ref.contact_hash, public_id=receipt).values_list(
        "pk", "statement_id"
    )
    found = row.first()
    if found is None:
        raise _not_yours()
    return sign_on_withdraw(sign_on_id=found[0], statement_id=found[1])


def _stand_in_hash() -> Concat:
    """Unique per row (it holds the row's own id), so the one-signature-per-address constraint
    holds, and computed by the database, so a whole batch is one UPDATE. It says nothing the row
    did not already say, and no address hashes to it."""
    return Concat(Value(ERASED_PREFIX), Cast("pk", output_field=CharField()))


def _anonymise_signatures(signatures: QuerySet[Signature], *, erased_at: datetime | None = None) -> int:
    """``erased_at`` (an erasure by the signer): the address hash stays until the statement's purge,
    so that the same mailbox cannot sign the statement again and be counted twice; the purge
    replaces it. Everything else that leads back to the person goes at once."""
    gone = {
        "sealed_contact": b"",
        "display_name": "",
        "name_shown": Signature.NameShown.HIDDEN,
        "wants_updates": False,
        "network_hash": "",
        "name_key": "",
    }
    if erased_at is not None:
        return signatures.update(erased_at=erased_at, **gone)
    return signatures.update(email_hash=_stand_in_hash(), **gone)


def _anonymise_sign_ons(sign_ons: QuerySet[SignOn]) -> int:
    """The organisation's own public details stay (they are what it endorsed with); its contact goes."""
    return sign_ons.update(contact_email_hash=_stand_in_hash(), sealed_contact=b"", notice_address=b"", network_hash="")


def _anonymise_action_contacts(actions: QuerySet[SolidarityAction]) -> int:
    """The action stays as the organisation reported it (it is the organisation's); its contact goes."""
    return actions.update(contact_email_hash="", sealed_contact=b"", notice_address=b"", network_hash="")


@dataclass(frozen=True)
class ErasureOutcome:
    signatures: int
    sign_ons: int
    contacts: int
    actions: int = 0


def records_erase(*, ref: PersonRef) -> ErasureOutcome:
    """Anonymises every signature and sign-on of the person's address and deletes their directory
    contacts, in one transaction, with one audit event per statement and organisation touched
    (counts only). Erasing again finds nothing and changes nothing.

    Counts do not move: a confirmed signature stays counted, anonymously.
    """
    with transaction.atomic():
        signatures = list(
            Signature.objects.select_for_update()
            .filter(email_hash=ref.signer_hash, erased_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "statement_id")
        )
        sign_ons = list(
            SignOn.objects.select_for_update()
            .filter(contact_email_hash=ref.contact_hash)
            .order_by("pk")
            .values_list("pk", "statement_id")
        )
        contacts = list(
            OrganisationContact.objects.filter(email_hash=ref.contact_hash)
            .order_by("pk")
            .values_list("pk", "organisation_id")
        )
        actions = list(
            SolidarityAction.objects.select_for_update()
            .filter(contact_email_hash=ref.contact_hash)
            .order_by("pk")
            .values_list("pk", "statement_id")
        )
        _anonymise_signatures(
            Signature.objects.filter(pk__in=[pk for pk, _statement in signatures]), erased_at=timezone.now()
        )
        _anonymise_sign_ons(SignOn.objects.filter(pk__in=[pk for pk, _statement in sign_ons]))
        OrganisationContact.objects.filter(pk__in=[pk for pk, _organisation in contacts]).delete()
        _anonymise_action_contacts(SolidarityAction.objects.filter(pk__in=[pk for pk, _statement in actions]))
        by_statement = Counter(statement for _pk, statement in signatures)
        sign_ons_by_statement = Counter(statement for _pk, statement in sign_ons)
        actions_by_statement = Counter(statement for _pk, statement in actions)
        touched = set(by_statement) | set(sign_ons_by_statement) | set(actions_by_statement)
        for statement in Statement.objects.filter(pk__in=touched):
            audit.record(
                actor=None,
                action="privacy.records_erased",
                subject=statement,
                detail={
                    "signatures": by_statement[statement.pk],
                    "sign_ons": sign_ons_by_statement[statement.pk],
                    "actions": actions_by_statement[statement.pk],
                },
            )
        for organisation in Organisation.objects.filter(pk__in={organisation for _pk, organisation in contacts}):
            audit.record(actor=None, action="privacy.contact_erased", subject=organisation)
    return ErasureOutcome(
        signatures=len(signatures), sign_ons=len(sign_ons), contacts=len(contacts), actions=len(actions)
    )


# --- Retention ----------------------------------------------------------------------------------


def statement_set_retention(*, actor: User | None, statement: Statement, days: int) -> Statement:
    """How many days after closing the statement's personal data is deleted. The secretariat's
    choice (``actor`` None: the command line)."""
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat sets how long personal data is kept."), status=403)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise DomainError(
            "retention_out_of_range",
            _("Choose between %(least)s and %(most)s days.") % {"least": 1, "most": MAX_RETENTION_DAYS},
        )
    with transaction.atomic():
        previous = Statement.objects.select_for_update().values_list("retention_days", flat=True).get(pk=statement.pk)
        Statement.objects.filter(pk=statement.pk).update(retention_days=days)
        audit.record(
            actor=actor, action="statement.retention_set", subject=statement, detail={"days": days, "was": previous}
        )
        forget_statement(statement.slug)
    statement.refresh_from_db()
    return statement


@dataclass(frozen=True)
class PurgeOutcome:
    statement: str
    deadline: datetime
    signatures: int
    sign_ons: int


def statement_purge(*, due: DuePurge, now: datetime, progress: Progress | None = None) -> PurgeOutcome:
    """Anonymises every record of the statement's signers and organisations' contacts, keeping
    counts by country, the ledger and the audit log.

    Signatures go in batches of ``PURGE_BATCH``, each its own short transaction, so a viral
    statement's purge holds no lock for long; the sign-ons, the statement's mark and its one audit
    event commit together at the end. A purge cut short leaves no mark and is finished, and
    recorded, by the next run: it touches only records not yet anonymised.
    """
    statement = due.statement
    progress = progress or silent()
    if progress.shown:  # the daily task shows nothing: it need not count a viral statement's rows
        progress.start(
            f"purging {statement.slug}", Signature.objects.filter(statement=statement).count(), unit="signatures"
        )
    signatures, last_pk = 0, 0
    while True:
        rows = list(
            Signature.objects.filter(statement=statement, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "email_hash")[:PURGE_BATCH]
        )
        if not rows:
            break
        last_pk = rows[-1][0]
        remaining = [pk for pk, hashed in rows if not hashed.startswith(ERASED_PREFIX)]
        if remaining:
            with transaction.atomic():
                signatures += _anonymise_signatures(Signature.objects.filter(pk__in=remaining))
        progress.advance(len(rows))
        if len(rows) < PURGE_BATCH:
            break
    with transaction.atomic():
        sign_ons = _anonymise_sign_ons(
            SignOn.objects.filter(statement=statement).exclude(contact_email_hash__startswith=ERASED_PREFIX)
        )
        action_contacts = _anonymise_action_contacts(
            SolidarityAction.objects.filter(statement=statement).exclude(contact_email_hash="")
        )
        Statement.objects.filter(pk=statement.pk).update(personal_data_purged_at=now)
        audit.record(
            actor=None,
            action="statement.personal_data_purged",
            subject=statement,
            detail={
                "signatures": signatures,
                "sign_ons": sign_ons,
                "action_contacts": action_contacts,
                "retention_days": statement.retention_days,
                "deadline": due.deadline.isoformat(),
            },
        )
        forget_statement(statement.slug)
    progress.finish()
    logger.info(
        "purged the personal data of statement %s: %s signature(s), %s sign-on(s)", statement.slug, signatures, sign_ons
    )
    return PurgeOutcome(statement=statement.slug, deadline=due.deadline, signatures=signatures, sign_ons=sign_ons)


def purge_expired(
    *, now: datetime | None = None, dry_run: bool = False, progress: Progress | None = None
) -> list[PurgeOutcome]:
    """Purges every statement past its retention deadline, and deletes queued mail too old to be
    sent (``notifications.services.MAIL_MAX_AGE``: it holds a sealed address) and reports of
    actions whose contact let every confirmation link expire (``actions.services``); with ``dry_run``,
    only says which statements and how many records each would clear, changing nothing."""
    now = now or timezone.now()
    if not dry_run:
        mail_purge_stale(now=now)
        unconfirmed_reports_delete(now=now)
    outcomes = []
    for due in statements_due_for_purge(now=now):
        if dry_run:
            held = personal_records_of(due.statement)
            outcomes.append(
                PurgeOutcome(
                    statement=due.statement.slug,
                    deadline=due.deadline,
                    signatures=held.signatures,
                    sign_ons=held.sign_ons,
                )
            )
        else:
            outcomes.append(statement_purge(due=due, now=now, progress=progress))
    return outcomes


# --- The daily chain's schedule (see ``privacy.tasks``) -------------------------------------------

PURGE_HOUR_UTC = 3  # a quiet hour almost everywhere
# A run this late is taken to be lost (a worker that was down still runs it when it comes back,
# and the claim keeps the two from both working).
OVERDUE_AFTER = timedelta(minutes=30)


def next_purge_time(after: datetime) -> datetime:
    """The first ``PURGE_HOUR_UTC`` o'clock strictly after ``after``."""
    candidate = after.astimezone(UTC).replace(hour=PURGE_HOUR_UTC, minute=0, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def purge_schedule_claim(*, now: datetime) -> datetime | None:
    """Takes the purge that is due by moving the schedule to the next day, in one conditional
    UPDATE: of any number of concurrent callers, one gets the next due time and the rest None."""
    following = next_purge_time(now)
    won = PurgeSchedule.objects.filter(pk=PurgeSchedule.SINGLETON_PK, next_run_at__lte=now).update(
        next_run_at=following, last_run_at=now
    )
    return following if won else None


def purge_schedule_ensure(*, now: datetime | None = None) -> bool:
    """Creates the schedule (first due at the next purge hour) if there is none, and enqueues a
    purge if the chain has missed its time. True if it enqueued one.

    Safe to call from anywhere, at any time, from any number of processes: an extra purge finds the
    day already claimed and stops without enqueueing a successor, so the chain stays single.
    """
    now = now or timezone.now()
    schedule, created = PurgeSchedule.objects.get_or_create(
        pk=PurgeSchedule.SINGLETON_PK, defaults={"next_run_at": next_purge_time(now)}
    )
    if created or schedule.next_run_at > now - OVERDUE_AFTER:
        return False
    from undersigned.privacy.tasks import purge_daily

    transaction.on_commit(purge_daily.enqueue, robust=True)
    return True
