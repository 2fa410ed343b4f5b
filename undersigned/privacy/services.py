"""Signers' and contacts' data rights: the emailed link, withdrawal and erasure.

Erasing anonymises a record rather than deletes it: its status, country and times stay,
so a confirmed signature stays counted, the counters, the ledger and ``verify_tally`` still agree,
and the audit log keeps what it refers to. What goes is everything that leads back to the person:
the sealed contact, the name as shown, the wish for updates, the address hash (replaced by a
stand-in that no address can produce), the network hash and the name key. A directory contact
(the secretariat's list of whom to trust for one-click endorsements) is deleted outright.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext as _

from undersigned.core import audit
from undersigned.core.exceptions import DomainError
from undersigned.notifications.emails import build
from undersigned.notifications.services import mail_enqueue
from undersigned.organisations.models import Organisation, OrganisationContact, SignOn
from undersigned.organisations.services import sign_on_withdraw
from undersigned.privacy.selectors import ERASED_PREFIX, has_records
from undersigned.privacy.tokens import LINK_HOURS, PersonRef, data_link_token
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tallies import tally_for_statement
from undersigned.statements.models import Statement

# --- The emailed link ---------------------------------------------------------------------------


def data_link_request(*, email: str, language: str) -> None:
    """Mails the link to the person's records if the server holds any for the address; otherwise
    builds the same message without sending it, so the answer takes about as long either way.

    The caller answers every case with the same page, and has checked ``email`` is complete.
    """
    ref = PersonRef.of_address(email)
    context = {
        "data_url": settings.SITE_URL + reverse("privacy:records", args=[data_link_token(ref)]),
        "hours": LINK_HOURS,
    }
    if has_records(ref):
        mail_enqueue(name="data_link", to=email.strip(), language=language, context=context)
    else:
        build("data_link", email.strip(), context, language)


# --- Withdrawal and erasure, from the link -------------------------------------------------------


def _not_yours() -> DomainError:
    return DomainError("not_found", _("This record is not among yours, or no longer exists."), status=404)


def signature_withdraw_by_signer(*, ref: PersonRef, receipt: str) -> bool:
    """Withdraws one of the person's signatures, named by its receipt. True if it changed."""
    found = Signature.objects.filter(email_hash=ref.signer_hash, public_id=receipt).values_list("pk", "statement_id")
    row = found.first()
    if row is None:
        raise _not_yours()
    signature_id, statement_id = row
    changed = signature_withdraw(signature_id=signature_id, statement_id=statement_id)
    if changed:
        tally_for_statement(statement_id, fresh=True)  # the statement page shows the change at once
    return changed


def sign_on_withdraw_by_contact(*, ref: PersonRef, receipt: str) -> bool:
    """Withdraws a sign-on the person is the contact of, named by its receipt. True if it changed."""
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


def _anonymise_signatures(signatures: QuerySet[Signature]) -> int:
    return signatures.update(
        email_hash=_stand_in_hash(),
        sealed_contact=b"",
        display_name="",
        name_shown=Signature.NameShown.HIDDEN,
        wants_updates=False,
        network_hash="",
        name_key="",
    )


def _anonymise_sign_ons(sign_ons: QuerySet[SignOn]) -> int:
    """The organisation's own public details stay (they are what it endorsed with); its contact goes."""
    return sign_ons.update(contact_email_hash=_stand_in_hash(), sealed_contact=b"", notice_address=b"", network_hash="")


@dataclass(frozen=True)
class ErasureOutcome:
    signatures: int
    sign_ons: int
    contacts: int


def records_erase(*, ref: PersonRef) -> ErasureOutcome:
    """Anonymises every signature and sign-on of the person's address and deletes their directory
    contacts, in one transaction, with one audit event per statement and organisation touched
    (counts only). Erasing again finds nothing and changes nothing.

    Counts do not move: a confirmed signature stays counted, anonymously.
    """
    with transaction.atomic():
        signatures = list(
            Signature.objects.select_for_update()
            .filter(email_hash=ref.signer_hash)
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
        _anonymise_signatures(Signature.objects.filter(pk__in=[pk for pk, _statement in signatures]))
        _anonymise_sign_ons(SignOn.objects.filter(pk__in=[pk for pk, _statement in sign_ons]))
        OrganisationContact.objects.filter(pk__in=[pk for pk, _organisation in contacts]).delete()
        by_statement = Counter(statement for _pk, statement in signatures)
        sign_ons_by_statement = Counter(statement for _pk, statement in sign_ons)
        for statement in Statement.objects.filter(pk__in=set(by_statement) | set(sign_ons_by_statement)):
            audit.record(
                actor=None,
                action="privacy.records_erased",
                subject=statement,
                detail={"signatures": by_statement[statement.pk], "sign_ons": sign_ons_by_statement[statement.pk]},
            )
        for organisation in Organisation.objects.filter(pk__in={organisation for _pk, organisation in contacts}):
            audit.record(actor=None, action="privacy.contact_erased", subject=organisation)
    return ErasureOutcome(signatures=len(signatures), sign_ons=len(sign_ons), contacts=len(contacts))
