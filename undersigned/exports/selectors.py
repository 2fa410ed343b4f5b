"""The public data of a signed statement, gathered once for the PDF, the CSV and the JSON.

It holds only what the public pages already show: the published text, the counts, the approved
organisations, the names signers chose to show (hidden ones are only counted), the ledger head
and the deliveries the ledger records. Nothing sealed, no address, no hidden name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import override
from django_countries import countries

from undersigned.actions.models import SolidarityAction
from undersigned.actions.presentation import actions_in_countries
from undersigned.actions.selectors import ActionCounts, action_counts
from undersigned.core.languages import language_direction, native_language_name
from undersigned.federation.selectors import federation_identity
from undersigned.ledger.chain import GENESIS
from undersigned.ledger.models import PendingEvent
from undersigned.ledger.selectors import DeliveryView, deliveries_of, head_of
from undersigned.organisations.models import SignOnTally
from undersigned.organisations.selectors import CountryGroup, approved_sign_ons
from undersigned.signatures.selectors import public_signatures
from undersigned.signatures.tallies import tally_for_statement
from undersigned.statements.models import Statement
from undersigned.statements.presentation import issuing_body_name, long_date
from undersigned.statements.rendering import render_markdown, render_revision_body
from undersigned.statements.selectors import PublishedText, choose_text, published_texts

# Statements whose signed statement is public: not drafts, and not withdrawn ones (a withdrawn
# statement is no longer handed to anyone).
EXPORTABLE_STATUSES = (Statement.Status.PUBLISHED, Statement.Status.CLOSED)
NAMES_CHUNK = 5000


@dataclass(frozen=True)
class PublicName:
    name: str
    country: str  # ISO code, or "" when the signer gave none


@dataclass(frozen=True)
class CountryCount:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class LedgerHead:
    seq: int
    hash: str
    sealed_at: datetime | None
    pending: int  # count-changing events recorded after this head, waiting to be sealed into the log


@dataclass(frozen=True)
class ActionsSummary:
    """The statement's approved solidarity actions, counted apart from its signatures."""

    text: str  # "N actions in M countries"
    by_kind: list[tuple[str, int]]  # the kind's name in the statement's language, and its count


@dataclass(frozen=True)
class SignedStatement:
    """Everything the signed statement shows, read in one snapshot (see ``signed_statement``)."""

    slug: str
    statement_id: int
    language: str
    direction: str
    language_name: str
    original_language: str
    federation_name: str
    issuing_body: str
    title: str
    dateline: str
    dateline_date: date | None
    headline_calls: list[str]
    body_html: SafeString
    body_markdown: str
    call_to_action: str
    translator_credit: str
    revision: int
    revision_sha256: str
    revision_published_at: datetime
    signatures: int
    signatures_by_country: list[CountryCount]
    organisations: int
    organisation_groups: list[CountryGroup]
    names: list[PublicName]
    head: LedgerHead
    deliveries: list[DeliveryView]
    statement_url: str
    transparency_url: str
    read_at: datetime
    actions: ActionsSummary | None = None  # None when the statement has no approved action

    @property
    def hidden_names(self) -> int:
        return max(self.signatures - len(self.names), 0)

    @property
    def is_original(self) -> bool:
        return self.language == self.original_language


def exportable_statement(*, slug: str) -> Statement | None:
    """The published or closed statement with ``slug`` and at least one published text, else None."""
    statement = Statement.objects.filter(slug=slug, status__in=EXPORTABLE_STATUSES).first()
    if statement is None or not published_texts(statement):
        return None
    return statement


def text_for(statement: Statement, *, preferences: list[str]) -> PublishedText:
    """The published text in the first of ``preferences`` that exists, else the original."""
    chosen = choose_text(
        published_texts(statement), original_language=statement.original_language, preferences=preferences
    )
    if chosen is None:  # exportable_statement() guarantees a published text
        raise LookupError(f"statement {statement.pk} has no published text")
    return chosen


def counts_key(*, statement_id: int, language: str, actions: ActionCounts | None = None) -> str:
    """A short hash that changes whenever what the signed statement in ``language`` shows may change.

    Every change to a count, and every delivery, writes a pending ledger event in the transaction
    of the change; sealing turns pending events into entries and moves the head. So the head's seq
    and hash with the newest pending event's id name the counts (and the names behind them);
    the published revision names the text, and the purge date the names that a purge erased. The
    approved solidarity actions are not in the ledger: their counts by kind and country are read,
    unless ``actions`` gives them (as read for the signed statement the key is to name).
    """
    head = head_of(statement_id)
    pending = PendingEvent.objects.filter(statement_id=statement_id).aggregate(last=Max("pk"))["last"] or 0
    state = Statement.objects.filter(pk=statement_id).values_list("personal_data_purged_at", "status").first()
    revision = (
        Statement.objects.filter(pk=statement_id, texts__language=language)
        .values_list("texts__published_revision_id", flat=True)
        .first()
    )
    parts = [
        str(head.seq if head else 0),
        head.hash if head else GENESIS,
        str(pending),
        str(revision or 0),
        str(state[0] if state else ""),
        str(state[1] if state else ""),
        str(federation_identity().version or ""),
        repr(actions if actions is not None else action_counts(statement_id)),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction: on PostgreSQL at REPEATABLE READ (one snapshot for every query); on
    SQLite, in WAL mode, a read transaction sees the database as of its first read."""
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and fresh:
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield None


@contextlib.contextmanager
def signed_statement_streamed(
    *, statement: Statement, language: str, actions: ActionCounts | None = None
) -> Iterator[StreamedStatement]:
    """The public data of ``statement`` in ``language`` (a language it has a published text in).

    Guarantee: the counts, the names, the organisations and the ledger head are read in one
    snapshot of the database (one transaction; REPEATABLE READ on PostgreSQL, WAL snapshot on
    SQLite) when the caller holds no transaction, so they describe one moment: the number of names
    plus the hidden ones is the signature count, the organisations listed are the organisations
    counted, and the head is the latest sealed at that moment, ``head.pending`` events later than
    it (the counts include those; the transparency page shows them once sealed). Inside a caller's
    transaction the reads share that transaction's view instead. The organisations' list is
    cached for a few seconds by its selector: its cache is emptied before the read, and the
    list is read again should it still disagree with the counters of the same snapshot.
    The names are read in chunks as plain values, never as model objects, while the caller reads
    ``names`` inside the ``with`` (the snapshot stays open till then): a CSV or JSON of ten million
    names streams in constant memory. ``data.names`` is empty; ``data.hidden_names`` is not
    known until every name is read (``StreamedStatement.hidden_names`` after the loop).
    ``actions``, when given, are the approved solidarity actions' counts as the caller read them
    (a delivery's mail states them beside the document); else they are read in the snapshot. They
    are in no count of the ledger, so counts read a moment apart from it break none of the above.
    """
    chosen = next((text for text in published_texts(statement) if text.language == language), None)
    if chosen is None:
        raise LookupError(f"statement {statement.pk} has no published text in {language!r}")
    revision = chosen.revision
    identity = federation_identity()
    with override(language):
        dateline = long_date(revision.dateline_date, language)
        if revision.dateline_place and dateline:
            dateline = f"{revision.dateline_place}, {dateline}"
        dateline = dateline or revision.dateline_place
        issuing_body = issuing_body_name(statement.commission, language)
        with _snapshot():
            read_at = timezone.now()
            head = head_of(statement.pk)
            pending = PendingEvent.objects.filter(statement_id=statement.pk).count()
            tally = tally_for_statement(statement.pk, fresh=True)
            groups = _organisation_groups(statement.pk)
            names = (
                PublicName(name=name, country=country)
                for name, country in public_signatures(statement_id=statement.pk)
                .order_by("confirmed_at", "pk")
                .values_list("display_name", "country")
                .iterator(chunk_size=NAMES_CHUNK)
            )
            deliveries = deliveries_of(statement.pk)
            summary = _actions_summary(actions if actions is not None else action_counts(statement.pk))
            by_country = sorted(
                (
                    CountryCount(code=code, name=str(countries.name(code)) or code, count=count)
                    for code, count in tally.by_country.items()
                    if count
                ),
                key=lambda row: (-row.count, row.name),
            )
            site = settings.SITE_URL.rstrip("/")
            data = SignedStatement(
                slug=statement.slug,
                statement_id=statement.pk,
                language=language,
                direction=language_direction(language),
                language_name=native_language_name(language),
                original_language=statement.original_language,
                federation_name=identity.text_in(language).name,
                issuing_body=issuing_body,
                title=revision.title,
                dateline=dateline,
                dateline_date=revision.dateline_date,
                headline_calls=[str(call) for call in revision.headline_calls],
                body_html=render_revision_body(revision.sha256, revision.body)
                if revision.sha256
                else render_markdown(revision.body),
                body_markdown=revision.body,
                call_to_action=revision.call_to_action,
                translator_credit=revision.translator_credit,
                revision=revision.number,
                revision_sha256=revision.sha256,
                revision_published_at=revision.published_at,
                signatures=tally.total,
                signatures_by_country=by_country,
                organisations=sum(len(group.sign_ons) for group in groups),
                organisation_groups=groups,
                names=[],
                head=LedgerHead(
                    seq=head.seq if head else 0,
                    hash=head.hash if head else GENESIS,
                    sealed_at=head.sealed_at if head else None,
                    pending=pending,
                ),
                deliveries=deliveries,
                statement_url=site + reverse("statements:read", args=[statement.slug]),
                transparency_url=site + reverse("ledger:transparency", args=[statement.slug]),
                read_at=read_at,
                actions=summary,
            )
            yield StreamedStatement(data=data, stream=names)


def signed_statement(*, statement: Statement, language: str, actions: ActionCounts | None = None) -> SignedStatement:
    """The signed statement with every name in memory (the PDF lays them all out); see
    ``signed_statement_streamed`` for what is read and when."""
    with signed_statement_streamed(statement=statement, language=language, actions=actions) as streamed:
        return dataclasses.replace(streamed.data, names=list(streamed.names()))


@dataclass
class StreamedStatement:
    data: SignedStatement
    stream: Iterator[PublicName]
    read: int = 0

    def names(self) -> Iterator[PublicName]:
        for name in self.stream:
            self.read += 1
            yield name

    @property
    def hidden_names(self) -> int:
        """The signers counted but not named: once ``names()`` has been read to its end."""
        return max(self.data.signatures - self.read, 0)


def _actions_summary(counts: ActionCounts) -> ActionsSummary | None:
    """In the active language (the caller's ``override``)."""
    if not counts.total:
        return None
    return ActionsSummary(
        text=actions_in_countries(counts.total, counts.countries),
        by_kind=[(str(SolidarityAction.Kind(kind).label), count) for kind, count in counts.by_kind],
    )


def _organisation_groups(statement_id: int) -> list[CountryGroup]:
    """The approved sign-ons by country, agreeing with the counters read in the same snapshot."""
    counted = sum(
        int(approved)
        for approved in SignOnTally.objects.filter(statement_id=statement_id, approved__gt=0).values_list(
            "approved", flat=True
        )
    )
    groups: list[CountryGroup] = []
    for _attempt in range(2):
        groups = approved_sign_ons(statement_id, fresh=True)
        if sum(len(group.sign_ons) for group in groups) == counted:
            break
    return groups
