from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import process_caches
from undersigned.core.exceptions import DomainError
from undersigned.permissions.roles import Capability, commissions_where
from undersigned.statements.models import Revision, Statement, StatementText, TranslatorAssignment

PUBLIC_STATUSES = (Statement.Status.PUBLISHED, Statement.Status.CLOSED, Statement.Status.WITHDRAWN)


# --- What staff see ----------------------------------------------------------------------------


def statement_list_for_staff(*, actor: User) -> QuerySet[Statement]:
    statements = (
        Statement.objects.select_related("commission")
        .prefetch_related("texts", "commission__texts")
        .order_by("-created_at")
    )
    if actor.is_secretariat:
        return statements
    assigned = TranslatorAssignment.objects.filter(translator=actor).values("statement_id")
    return statements.filter(
        Q(commission_id__in=commissions_where(actor, Capability.VIEW)) | Q(pk__in=assigned)
    ).distinct()


# --- What readers see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedText:
    language: str
    revision: Revision


def _published_texts_prefetch() -> Prefetch[str, QuerySet[StatementText], str]:
    return Prefetch(
        "texts",
        queryset=StatementText.objects.filter(published_revision__isnull=False).select_related("published_revision"),
        to_attr="published_texts",
    )


def statement_list_public(
    *, commission_slug: str | None = None, language: str | None = None, state: str | None = None
) -> QuerySet[Statement]:
    """Published and closed statements, newest first. ``commission_slug`` "federation" means no commission.

    ``state`` is "open" (taking signatures now) or "closed" (closed by an editor or past its window).
    """
    statements = (
        Statement.objects.filter(status__in=[Statement.Status.PUBLISHED, Statement.Status.CLOSED])
        .select_related("commission")
        .prefetch_related(_published_texts_prefetch(), "commission__texts")
        .order_by("-published_at", "-pk")
    )
    if commission_slug == "federation":
        statements = statements.filter(commission__isnull=True)
    elif commission_slug:
        statements = statements.filter(commission__slug=commission_slug)
    if language:
        statements = statements.filter(texts__language=language, texts__published_revision__isnull=False)
    now = timezone.now()
    open_now = (
        Q(status=Statement.Status.PUBLISHED)
        & (Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))
    )
    closed = Q(status=Statement.Status.CLOSED) | Q(closes_at__lte=now)
    if state == "open":
        statements = statements.filter(open_now)
    elif state == "closed":
        statements = statements.filter(closed)
    return statements


def published_texts(statement: Statement) -> list[PublishedText]:
    """The statement's published texts, the original first; uses the prefetch of the list selectors."""
    texts = getattr(statement, "published_texts", None)
    if texts is None:
        texts = list(statement.texts.filter(published_revision__isnull=False).select_related("published_revision"))
    found = [PublishedText(text.language, text.published_revision) for text in texts if text.published_revision]
    return sorted(found, key=lambda item: (item.language != statement.original_language, item.language))


def choose_text(
    texts: Sequence[PublishedText], *, original_language: str, preferences: Sequence[str]
) -> PublishedText | None:
    """The first of the reader's ``preferences`` that exists, else the original, else any."""
    by_language = {text.language: text for text in texts}
    for language in preferences:
        if language in by_language:
            return by_language[language]
        base = language.split("-")[0]
        if base in by_language:
            return by_language[base]
    return by_language.get(original_language) or (texts[0] if texts else None)


# The statement page is the hottest page of a viral statement, and what it reads changes only when
# editors publish: each process keeps it for a few seconds. Changes made in this process clear it
# at once (``forget_statement``); other processes see them within READING_CACHE_SECONDS.
READING_CACHE_SECONDS = 5.0
_reading_cache: dict[str, tuple[float, Statement]] = {}


def forget_statement(slug: str) -> None:
    """Call inside the transaction that changes what readers see of the statement.

    Forgets now and again after commit: a reader between the two may keep the old state, for
    READING_CACHE_SECONDS at most, as other processes do anyway.
    """
    _reading_cache.pop(slug, None)
    transaction.on_commit(lambda: _reading_cache.pop(slug, None))


def forget_all_statements() -> None:
    _reading_cache.clear()


process_caches.register(__name__, "_reading_cache", clear=forget_all_statements, stale_seconds=READING_CACHE_SECONDS)


def statement_for_reading(*, slug: str) -> Statement:
    """The public statement with its published texts; "not found" for drafts and unknown slugs."""
    cached = _reading_cache.get(slug)
    now = time.monotonic()
    if cached is not None and now - cached[0] < READING_CACHE_SECONDS:
        return cached[1]
    # Dated from before the read: a change committed while it ran may be missing from what it returns.
    statement = _statement_for_reading(slug)
    _reading_cache[slug] = (now, statement)
    if len(_reading_cache) > 1000:
        _reading_cache.clear()
    return statement


def _statement_for_reading(slug: str) -> Statement:
    statement = (
        Statement.objects.select_related("commission")
        .prefetch_related(_published_texts_prefetch(), "commission__texts")
        .filter(slug=slug, status__in=PUBLIC_STATUSES)
        .first()
    )
    if statement is None or not published_texts(statement):
        raise DomainError("not_found", _("Statement not found."), status=404)
    return statement


# Published revisions never change: each process keeps the ones it has been asked for.
_revisions: dict[int, Revision] = {}


def published_revision_of(*, statement: Statement, revision_id: int) -> Revision | None:
    """The revision the reader was shown, if it is one of ``statement``'s; None for any other id."""
    if not 0 < revision_id < 2**63:  # an id no database could hold
        return None
    revision = _revisions.get(revision_id)
    if revision is None:
        revision = Revision.objects.select_related("text").filter(pk=revision_id).first()
        if revision is None:
            return None
        if len(_revisions) > 1024:
            _revisions.clear()
        _revisions[revision_id] = revision
    return revision if revision.text.statement_id == statement.pk else None


def forget_revisions() -> None:
    _revisions.clear()


process_caches.register(
    __name__, "_revisions", clear=forget_revisions, never_stale="keyed by a revision's id; revisions are never updated"
)


def revision_history(*, statement: Statement, language: str) -> list[Revision]:
    return list(
        Revision.objects.filter(text__statement=statement, text__language=language)
        .select_related("published_by")
        .order_by("-number")
    )


def published_languages() -> list[str]:
    """Languages in which at least one public statement can be read."""
    return sorted(
        set(
            StatementText.objects.filter(
                published_revision__isnull=False, statement__status__in=PUBLIC_STATUSES
            ).values_list("language", flat=True)
        )
    )


def statement_working_title(statement: Statement) -> str:
    """The title staff pages call a statement by: its original text's working title (a draft has
    no published one yet), else any text's, else its slug. One query the first time for each
    statement object (a page names it in its title and its heading), none after
    ``statement_working_titles_load``."""
    known = getattr(statement, "_working_title", None)
    if known is None:
        statement_working_titles_load([statement])
        known = statement._working_title  # type: ignore[attr-defined]
    return str(known)


def statement_working_titles_load(statements: Iterable[Statement]) -> None:
    """Finds the working titles of ``statements`` in one query, for a page that lists many."""
    pending = [statement for statement in statements if getattr(statement, "_working_title", None) is None]
    if not pending:
        return
    texts: dict[int, dict[str, str]] = {}
    for statement_id, language, title in StatementText.objects.filter(
        statement_id__in={statement.pk for statement in pending}
    ).values_list("statement_id", "language", "title"):
        texts.setdefault(statement_id, {})[language] = title
    for statement in pending:
        titles = texts.get(statement.pk, {})
        title = titles.get(statement.original_language) or next(iter(titles.values()), "")
        statement._working_title = title or statement.slug  # type: ignore[attr-defined]


# --- Translations offered by member organisations -------------------------------------------------

# A closed statement is still read, shared and delivered, so a translation still widens its reach;
# a withdrawn one is no longer stood by, and a draft is not public.
OFFERABLE_STATUSES = (Statement.Status.PUBLISHED, Statement.Status.CLOSED)
# The member page lists an organisation's latest offers; more would only lengthen it.
OFFERS_LISTED = 50


def statement_languages(statement_id: int) -> set[str]:
    """The languages the statement has a text in, drafts included, read now (not from the cache)."""
    return set(StatementText.objects.filter(statement_id=statement_id).values_list("language", flat=True))


def offers_of(organisation_ids: Iterable[int]) -> list[StatementText]:
    """The translations these organisations offered, the latest first, with their statements."""
    return list(
        StatementText.objects.filter(offered_by_id__in=list(organisation_ids))
        .select_related("statement", "offered_by")
        .only(
            "language",
            "title",
            "status",
            "published_revision_id",
            "statement__slug",
            "statement__status",
            "offered_by__name",
        )
        .order_by("-pk")[:OFFERS_LISTED]
    )


def offers_waiting(*, actor: User) -> QuerySet[StatementText]:
    """Offered translations never published, of the statements ``actor`` manages that still take
    offers: the editors' to review, publish or decline."""
    texts = StatementText.objects.filter(
        offered_by__isnull=False, published_revision__isnull=True, statement__status__in=OFFERABLE_STATUSES
    )
    if actor.is_secretariat:
        return texts
    return texts.filter(statement__commission_id__in=commissions_where(actor, Capability.MANAGE))


@dataclass(frozen=True)
class StatementWithOffers:
    statement: Statement
    offers: int


def statements_with_offers_waiting(*, actor: User) -> list[StatementWithOffers]:
    """The statements with offered translations waiting for ``actor``, the most waiting first."""
    counts: dict[int, int] = {}
    for statement_id in offers_waiting(actor=actor).values_list("statement_id", flat=True):
        counts[statement_id] = counts.get(statement_id, 0) + 1
    statements = list(Statement.objects.filter(pk__in=counts))
    statement_working_titles_load(statements)
    found = [StatementWithOffers(statement=statement, offers=counts[statement.pk]) for statement in statements]
    return sorted(found, key=lambda item: (-item.offers, item.statement.slug))
