"""Building and keeping the signed statement's PDF.

A file is kept per statement, language and paper for the counts it was built from (its
``counts_key``); when the counts change, the next request builds a new one and the old one is
deleted once the new one is ready. A build is claimed by inserting its row: the unique constraint
lets exactly one of many concurrent requests enqueue it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.actions.selectors import ActionCounts, action_counts
from undersigned.exports.models import SignedStatementFile
from undersigned.exports.pdf import Progress, render_pdf
from undersigned.exports.selectors import counts_key, exportable_statement, signed_statement
from undersigned.organisations.selectors import sign_on_count
from undersigned.statements.models import Statement
from undersigned.statements.selectors import published_texts

logger = logging.getLogger(__name__)

PAPERS = ("a4", "letter")
# A claim older than this is taken over: its builder died (a worker restarted mid-build).
BUILD_LEASE = timedelta(minutes=15)
# Statements with at most this many public names and organisations are built in the request that
# first asks: a small site without a worker gets its PDF at once. Measured on the 2-core machine
# (benchmarks/README figures in README.md): the demo statement in under 1 s of layout, 3,000 names
# with 40 organisations in about 4 s, 500 organisations alone in about 7 s; so a request builds
# up to about a second's worth.
INLINE_BUILD_NAMES = 500
INLINE_BUILD_ORGANISATIONS = 50


def pdf_language(*, statement_id: int, language: str) -> str:
    """The language the PDF asked for in ``language`` is in: that one if the statement has a
    published text in it, else the statement's original language."""
    statement = Statement.objects.get(pk=statement_id)
    languages = {text.language for text in published_texts(statement)}
    return language if language in languages else statement.original_language


def _normal_paper(paper: str) -> str:
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}")
    return paper


def ready_file(*, statement_id: int, language: str, paper: str, key: str) -> SignedStatementFile | None:
    return (
        SignedStatementFile.objects.filter(
            statement_id=statement_id, language=language, paper=paper, counts_key=key, created_at__isnull=False
        )
        .defer("pdf")
        .first()
    )


def file_claim(*, statement_id: int, language: str, paper: str, key: str) -> bool:
    """Claims the build of the file for ``key``; True for exactly one caller while a claim is alive.

    The row's unique constraint decides between concurrent callers; a claim whose builder has
    not finished within ``BUILD_LEASE`` is taken over by one conditional UPDATE.
    """
    try:
        with transaction.atomic():
            SignedStatementFile.objects.create(
                statement_id=statement_id, language=language, paper=paper, counts_key=key
            )
        return True
    except IntegrityError:
        now = timezone.now()
        return bool(
            SignedStatementFile.objects.filter(
                statement_id=statement_id,
                language=language,
                paper=paper,
                counts_key=key,
                created_at__isnull=True,
                claimed_at__lt=now - BUILD_LEASE,
            ).update(claimed_at=now)
        )


def file_build(
    *,
    statement_id: int,
    language: str,
    paper: str = "a4",
    progress: Progress | None = None,
    actions: ActionCounts | None = None,
) -> SignedStatementFile:
    """Builds the PDF for the counts as they are now and stores it under their key (the caller's
    claim, if any, becomes the file). Never call inside a transaction: the build reads one snapshot
    and then lays out for seconds with no transaction open.

    The solidarity actions' counts (``actions``, or read here once) go both into the key and into
    the document, so that a file kept under a key shows the actions that key names: a caller that
    states them beside the file (a delivery's mail) can rely on it."""
    paper = _normal_paper(paper)
    statement = Statement.objects.select_related("commission").get(pk=statement_id)
    language = pdf_language(statement_id=statement_id, language=language)
    actions = actions if actions is not None else action_counts(statement_id)
    key = counts_key(statement_id=statement_id, language=language, actions=actions)
    say = progress or (lambda _message: None)
    say("gathering the counts, the organisations and the public names")
    data = signed_statement(statement=statement, language=language, actions=actions)
    pdf = render_pdf(data, paper=paper, progress=say)
    etag = '"' + hashlib.sha256(pdf).hexdigest()[:32] + '"'
    now = timezone.now()
    with transaction.atomic():
        updated = SignedStatementFile.objects.filter(
            statement_id=statement_id, language=language, paper=paper, counts_key=key
        ).update(pdf=pdf, etag=etag, names=len(data.names), created_at=now)
        if not updated:
            SignedStatementFile.objects.create(
                statement_id=statement_id,
                language=language,
                paper=paper,
                counts_key=key,
                pdf=pdf,
                etag=etag,
                names=len(data.names),
                claimed_at=now,
                created_at=now,
            )
        # The counts moved on: older files of this statement, language and paper are out of date.
        SignedStatementFile.objects.filter(
            statement_id=statement_id, language=language, paper=paper, created_at__isnull=False
        ).exclude(counts_key=key).delete()
    say(f"{len(pdf)} bytes")
    return SignedStatementFile.objects.get(statement_id=statement_id, language=language, paper=paper, counts_key=key)


def signed_statement_pdf_bytes(
    *, statement_id: int, language: str, paper: str = "a4", actions: ActionCounts | None = None
) -> bytes:
    """The PDF for the statement's counts as they are now: the stored file if one was built for
    these counts, else built in this process and stored. In the original language when the
    statement has no published text in ``language`` (``pdf_language`` says which). Safe in a
    background worker; never call inside a transaction.

    Given ``actions`` (``action_counts`` as the caller read them), the PDF sums up exactly those
    solidarity actions, whatever was approved or withdrawn since."""
    paper = _normal_paper(paper)
    language = pdf_language(statement_id=statement_id, language=language)
    key = counts_key(statement_id=statement_id, language=language, actions=actions)
    stored = SignedStatementFile.objects.filter(
        statement_id=statement_id, language=language, paper=paper, counts_key=key, created_at__isnull=False
    ).first()
    if stored is not None:
        return bytes(stored.pdf)
    return bytes(file_build(statement_id=statement_id, language=language, paper=paper, actions=actions).pdf)


def small_enough_to_build_inline(*, statement_id: int) -> bool:
    """Whether a request may build the PDF itself: at most ``INLINE_BUILD_NAMES`` signatures
    counted (so at most as many names), from the counters: never a count of the rows."""
    from undersigned.signatures.tallies import tally_for_statement

    return tally_for_statement(statement_id).total <= INLINE_BUILD_NAMES


def file_request(*, slug: str, language: str, paper: str) -> SignedStatementFile | None:
    """The ready file for the statement's current counts, building it inline when it is small;
    else None after making sure exactly one build is enqueued (the caller says "being prepared").
    The caller has checked that the statement is exportable and ``language`` is published."""
    paper = _normal_paper(paper)
    statement = exportable_statement(slug=slug)
    if statement is None:
        raise Statement.DoesNotExist
    key = counts_key(statement_id=statement.pk, language=language)
    ready = ready_file(statement_id=statement.pk, language=language, paper=paper, key=key)
    if ready is not None:
        return ready
    small = small_enough_to_build_inline(statement_id=statement.pk)
    if small and sign_on_count(statement.pk).total <= INLINE_BUILD_ORGANISATIONS:
        return file_build(statement_id=statement.pk, language=language, paper=paper)
    from undersigned.exports.tasks import build_signed_statement

    with transaction.atomic():
        if file_claim(statement_id=statement.pk, language=language, paper=paper, key=key):
            # Enqueued in the claim's transaction (database task backend): both commit or neither.
            build_signed_statement.enqueue(statement_id=statement.pk, language=language, paper=paper)
    return None
