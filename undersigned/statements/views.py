from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from undersigned.actions.presentation import statement_actions
from undersigned.commissions.selectors import commission_list_localised
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import native_language_name
from undersigned.core.public_pages import shared_cacheable
from undersigned.deliveries.presentation import statement_delivery_record
from undersigned.federation.selectors import federation_identity
from undersigned.ledger.selectors import milestones_of
from undersigned.organisations.presentation import statement_sign_ons
from undersigned.privacy.selectors import retention_notice
from undersigned.signatures.tallies import tally_for_statement, top_countries
from undersigned.signatures.views import sign_form_context
from undersigned.statements.canonical import canonical_bytes_of
from undersigned.statements.diff import word_diff
from undersigned.statements.forms import StatementFilterForm
from undersigned.statements.models import Revision, Statement
from undersigned.statements.presentation import (
    long_date,
    readable_text,
    reader_language_preferences,
    signature_state,
    statement_card,
)
from undersigned.statements.selectors import (
    PublishedText,
    choose_text,
    published_languages,
    published_texts,
    revision_history,
    statement_for_reading,
    statement_list_public,
)
from undersigned.statements.sharing import image_max_age, page_share, share_card, share_image_png

PAGE_SIZE = 20


def _interface_language() -> str:
    return get_language() or federation_identity().default_language


@shared_cacheable
@require_safe
def statement_index(request: HttpRequest) -> HttpResponse:
    language = _interface_language()
    identity = federation_identity()
    commissions = commission_list_localised(language=language, default_language=identity.default_language)
    form = StatementFilterForm(request.GET or None, commissions=commissions, languages=published_languages())
    filters = form.cleaned_data if form.is_valid() else {}
    statements = statement_list_public(
        commission_slug=filters.get("body") or None,
        language=filters.get("language") or None,
        state=filters.get("state") or None,
    )
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    preferences = reader_language_preferences(request)
    cards = [card for statement in page if (card := statement_card(statement, preferences, language))]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "statements/index.html",
        {"form": form, "page": page, "cards": cards, "query": query.urlencode()},
    )


def _published_text_or_404(slug: str, language: str) -> tuple[Statement, PublishedText]:
    try:
        statement = statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None
    chosen = next((text for text in published_texts(statement) if text.language == language), None)
    if chosen is None:
        raise Http404
    return statement, chosen


@shared_cacheable
@require_safe
def statement_read(request: HttpRequest, slug: str, language: str | None = None) -> HttpResponse:
    """The statement in the reader's language; ``language`` in the address picks a text explicitly."""
    try:
        statement = statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None
    texts = published_texts(statement)
    interface_language = _interface_language()
    preferences = reader_language_preferences(request)
    if language is not None:
        chosen = next((text for text in texts if text.language == language), None)
        if chosen is None and language.lower() != language:
            return HttpResponsePermanentRedirect(reverse("statements:read_in", args=[slug, language.lower()]))
    else:
        chosen = choose_text(texts, original_language=statement.original_language, preferences=preferences)
    if chosen is None:
        raise Http404
    readable = readable_text(statement, chosen, interface_language)
    # The reader's first choice is missing: say so, in the interface, naming that language.
    wanted = preferences[0]
    missing_translation = language is None and chosen.language not in {wanted, wanted.split("-")[0]}
    state = signature_state(statement)
    tally = tally_for_statement(statement.pk)
    canonical_url = request.build_absolute_uri(reverse("statements:read_in", args=[slug, chosen.language]))
    return render(
        request,
        "statements/read.html",
        {
            **(sign_form_context(request, statement, chosen.revision) if state == "open" else {}),
            "statement": statement,
            "tally": tally,
            "top_countries": top_countries(tally),
            "sign_ons": statement_sign_ons(statement.pk),
            "actions": statement_actions(statement.pk),
            "next_milestone": next((m.count for m in milestones_of(statement.pk) if m.reached_at is None), None),
            "text": readable,
            "state": state,
            "opens_on": long_date(statement.opens_at.date() if statement.opens_at else None, interface_language),
            "closes_on": long_date(statement.closes_at.date() if statement.closes_at else None, interface_language),
            "missing_translation": missing_translation,
            "interface_language_name": native_language_name(wanted),
            "text_language_name": native_language_name(chosen.language),
            "canonical_url": canonical_url,
            "share": page_share(
                statement, chosen, total=tally.total, page_url=canonical_url, site_root=request.build_absolute_uri("/")
            ),
            "published_on": long_date(chosen.revision.published_at.date(), interface_language),
            "retention": retention_notice(statement, interface_language),
            "delivery_record": statement_delivery_record(statement.pk, interface_language),
        },
    )


@require_safe
def statement_share_image(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """The card messaging apps show for the text's address (``sharing``): the same for every reader."""
    statement, chosen = _published_text_or_404(slug, language)
    share = share_card(statement, chosen, total=tally_for_statement(statement.pk).total)
    etag = f'"{share.digest}"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        share_image_png(share), content_type="image/png"
    )
    response.headers["ETag"] = etag
    patch_cache_control(response, public=True, max_age=image_max_age(share, request.GET.get("v")))
    response.headers["Content-Language"] = chosen.language
    response.language_from_address = True  # type: ignore[attr-defined]  # no Vary on the reader's language
    return response


@shared_cacheable
@require_safe
def statement_history(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    statement, chosen = _published_text_or_404(slug, language)
    revisions = revision_history(statement=statement, language=language)
    interface_language = _interface_language()
    readable = readable_text(statement, chosen, interface_language)
    return render(
        request,
        "statements/history.html",
        {
            "text": readable,
            "revisions": [
                {"revision": revision, "published_on": long_date(revision.published_at.date(), interface_language)}
                for revision in revisions
            ],
        },
    )


def _comparable_parts(revision: Revision) -> dict[str, str]:
    date = revision.dateline_date.isoformat() if revision.dateline_date else ""
    return {
        "title": revision.title,
        "dateline": ", ".join(part for part in (revision.dateline_place, date) if part),
        "headline_calls": "\n".join(revision.headline_calls),
        "body": revision.body,
        "call_to_action": revision.call_to_action,
    }


PART_LABELS = {
    "title": _("Title"),
    "dateline": _("Dateline"),
    "headline_calls": _("Headline calls"),
    "body": _("Body"),
    "call_to_action": _("Call to action"),
}


@require_safe
def statement_revision_canonical(request: HttpRequest, slug: str, language: str, number: int) -> HttpResponse:
    """The exact bytes whose SHA-256 the page shows, so anyone can check the hash without us."""
    statement, _chosen = _published_text_or_404(slug, language)
    revision = next(
        (item for item in revision_history(statement=statement, language=language) if item.number == number), None
    )
    if revision is None:
        raise Http404
    body = canonical_bytes_of(revision, language=language)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-{language}-r{number}.json"'
    return response


@shared_cacheable
@require_safe
def statement_revision(request: HttpRequest, slug: str, language: str, number: int) -> HttpResponse:
    statement, chosen = _published_text_or_404(slug, language)
    revisions = {item.number: item for item in revision_history(statement=statement, language=language)}
    revision = revisions.get(number)
    if revision is None:
        raise Http404
    previous = revisions.get(number - 1)
    after = _comparable_parts(revision)
    before = _comparable_parts(previous) if previous else dict.fromkeys(after, "")
    interface_language = _interface_language()
    return render(
        request,
        "statements/revision.html",
        {
            "text": readable_text(statement, chosen, interface_language),
            "revision_text": readable_text(statement, PublishedText(language, revision), interface_language),
            "revision": revision,
            "previous": previous,
            "published_on": long_date(revision.published_at.date(), interface_language),
            "changes": [
                {
                    "label": PART_LABELS[part],
                    "html": word_diff(before[part], after[part]) if previous else escape(after[part]),
                    "changed": before[part] != after[part],
                }
                for part in after
            ],
        },
    )
