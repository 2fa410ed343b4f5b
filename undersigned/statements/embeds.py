"""What member organisations put on their own sites: the count badge and the embedded sign form.

The badge (an SVG image, and the same as a plain HTML fragment) is public data, cached for a few
seconds by anyone; being an image, no frame rule applies to it. The embed is the sign form on a
page of its own, meant for an ``<iframe>`` on a member's site: the only page of the site that
another site may frame.

Why the embed's POST carries no CSRF token: in a frame on another site the browser does not send
our SameSite=Lax cookies, so Django's CSRF check (a cookie compared with a form field) would refuse
every signer. CSRF guards an action taken with a visitor's session; the embed acts on none (it never
reads or writes a session, and sets no cookie), and the signature it records counts only once its
signer opens the link mailed to them and confirms. A forged POST can do no more than anyone can do
by posting the form themselves, which every rule of ``signature_submit`` already meets: the signed
form timer, the honeypot, the proof of work, the rate limits. The embed's form posts to our own
origin (``form-action 'self'``), so no signer's data passes through the host site.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.core.exceptions import DomainError
from undersigned.core.languages import interface_language_codes, language_direction, native_language_name
from undersigned.core.public_pages import cross_origin_protected, shared_cacheable
from undersigned.federation.selectors import federation_identity
from undersigned.privacy.selectors import retention_notice
from undersigned.signatures.forms import SignForm
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.views import sign_form_submission
from undersigned.statements.models import Statement
from undersigned.statements.presentation import issuing_body_name, reader_language_preferences, signature_state
from undersigned.statements.selectors import PublishedText, choose_text, published_texts, statement_for_reading

# As long as the count itself is cached (signatures.tallies.CACHE_SECONDS), give or take.
BADGE_CACHE_SECONDS = 10
# The badge is one line of a fixed width; longer titles end in an ellipsis at a word's end.
BADGE_TITLE_CHARACTERS = 44
BADGE_WIDTH = 360
BADGE_HEIGHT = 72
# The badge's own policy: it is an image, and opened on its own it may run nothing and load nothing.
BADGE_CSP = "default-src 'none'; frame-ancestors 'none'"


def _text_or_404(
    slug: str, language: str | None, request: HttpRequest | None = None
) -> tuple[Statement, PublishedText]:
    """The public statement and its text in ``language``; without one, the reader's choice when
    ``request`` is given, else the original. Drafts, unknown statements and languages: 404."""
    try:
        statement = statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None
    texts = published_texts(statement)
    if language is not None:
        chosen = next((text for text in texts if text.language == language), None)
    else:
        preferences = reader_language_preferences(request) if request is not None else []
        chosen = choose_text(texts, original_language=statement.original_language, preferences=preferences)
    if chosen is None:
        raise Http404
    return statement, chosen


def in_text_language(language: str, fallback: str | None = None) -> translation.override:
    """The interface in the text's language where the site has a catalogue for it, so the words
    around the title match it; otherwise ``fallback``, else the reader's interface language."""
    if language in interface_language_codes():
        return translation.override(language)
    return translation.override(fallback or translation.get_language())


def count_for_people(total: int) -> str:
    """The count as the active language writes numbers, grouped (1,234; 1 234; 1.234)."""
    return number_format(total, force_grouping=True)


@dataclass(frozen=True)
class Badge:
    language: str
    direction: str
    title: str
    short_title: str
    count: str
    label: str
    statement_url: str


def _badge(statement: Statement, text: PublishedText) -> Badge:
    total = tally_for_statement(statement.pk).total  # the statement page's count, from the same selector
    title = " ".join(text.revision.title.split())
    # The badge depends on its address alone (a cache keeps one copy): never on the reader's language.
    with in_text_language(text.language, federation_identity().default_language):
        count = count_for_people(total)
        label = ngettext("confirmed signature", "confirmed signatures", total)
    return Badge(
        language=text.language,
        direction=language_direction(text.language),
        title=title,
        short_title=Truncator(title).chars(BADGE_TITLE_CHARACTERS),
        count=count,
        label=label,
        statement_url=settings.SITE_URL + reverse("statements:read_in", args=[statement.slug, text.language]),
    )


def _cacheable(request: HttpRequest, body: bytes, content_type: str, language: str) -> HttpResponse:
    """A short public cache life and an ETag of the bytes, so caches revalidate with a 304."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(body, content_type=content_type)
    response.headers["ETag"] = etag
    patch_cache_control(response, public=True, max_age=BADGE_CACHE_SECONDS)
    response.headers["Content-Language"] = language
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.language_from_address = True  # type: ignore[attr-defined]  # no Vary on the reader's language
    return response


@require_safe
def badge_svg(request: HttpRequest, slug: str, language: str | None = None) -> HttpResponse:
    statement, text = _text_or_404(slug, language)
    badge = _badge(statement, text)
    rtl = badge.direction == "rtl"
    body = render_to_string(
        "statements/embeds/badge.svg",
        {
            "badge": badge,
            "width": BADGE_WIDTH,
            "height": BADGE_HEIGHT,
            # Text starts at the right edge in a right-to-left language, the accent bar is there too.
            "text_x": BADGE_WIDTH - 20 if rtl else 20,
            "bar_x": BADGE_WIDTH - 6 if rtl else 0,
        },
    ).encode()
    response = _cacheable(request, body, "image/svg+xml; charset=utf-8", badge.language)
    # Opened on its own, as a document, the SVG may not run a script nor load anything.
    response.headers["Content-Security-Policy"] = BADGE_CSP  # django-csp keeps a header already set
    # An <img> on any site may show it.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def badge_html(request: HttpRequest, slug: str, language: str | None = None) -> HttpResponse:
    """The badge as a fragment of plain HTML (no style, no script), for sites that include it
    from their server or fetch it from their pages (CORS is open: the data is public)."""
    statement, text = _text_or_404(slug, language)
    body = render_to_string("statements/embeds/badge_fragment.html", {"badge": _badge(statement, text)}).encode()
    response = _cacheable(request, body, "text/html; charset=utf-8", text.language)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def embed_frame_ancestors() -> list[str]:
    """Who may frame the embed: the secretariat's list of member sites, else any web page."""
    origins = federation_identity().embed_origins
    return ["'self'", *origins] if origins else ["'self'", "https:", "http:"]


@xframe_options_exempt
@cross_origin_protected  # why: this module's docstring
@shared_cacheable
@require_http_methods(["GET", "HEAD", "POST"])
def embed(request: HttpRequest, slug: str, language: str | None = None) -> HttpResponse:
    """The sign form for an ``<iframe>``. Never touches the session: no cookie is read or set."""
    statement, text = _text_or_404(slug, language, request)
    with in_text_language(text.language):
        response = _embed_page(request, statement, text)
        response.headers["Content-Language"] = translation.get_language()
    # django-csp 4: a per-response replacement of one directive, read by its middleware.
    response._csp_replace = {"frame-ancestors": embed_frame_ancestors()}  # type: ignore[attr-defined]
    return response


def _embed_page(request: HttpRequest, statement: Statement, text: PublishedText) -> HttpResponse:
    interface_language = translation.get_language() or federation_identity().default_language
    state = signature_state(statement)
    embed_action = reverse("statements:embed_in", args=[statement.slug, text.language])
    fragment_context: dict[str, object] = {
        "statement": statement,
        "embed_action": embed_action,
        "requires_proof_of_work": statement.needs_proof_of_work(),
    }
    status = 200
    if request.method == "POST":
        template, context, status = sign_form_submission(request, statement, language=interface_language)
        fragment_context.update(context)
        if request.headers.get("X-Requested-With") == "fetch":  # the form's own script: the answer only
            return render(request, f"signatures/includes/{template}", fragment_context, status=status)
        fragment = f"signatures/includes/{template}"
    elif state == "open":
        fragment_context["sign_form"] = SignForm(
            initial={"revision": text.revision.pk, "started": SIGN_FORM_TIMER.started_token()}
        )
        fragment = "signatures/includes/form.html"
    else:
        fragment = "signatures/includes/closed.html"
    badge = _badge(statement, text)
    commission = statement.commission
    return render(
        request,
        "statements/embeds/embed.html",
        {
            **fragment_context,
            "fragment": fragment,
            "text": text,
            "badge": badge,
            "text_direction": language_direction(text.language),
            "headline_calls": text.revision.headline_calls,
            "issuing_body": issuing_body_name(commission, interface_language),
            "feed_url": reverse(
                "statements:feed", args=[commission.slug if commission else "federation", text.language]
            ),
            "retention": retention_notice(statement, interface_language),
            "open": state == "open",
        },
        status=status,
    )


@dataclass(frozen=True)
class EmbedSnippets:
    """What the statement's staff page offers member sites to copy, for one published text."""

    language: str
    language_name: str
    embed_url: str
    badge_url: str
    badge_path: str  # for the staff page's own preview: its CSP takes images from this origin only
    fragment_url: str
    iframe_code: str
    image_code: str
    fragment_code: str


def embed_snippets(statement: Statement) -> list[EmbedSnippets]:
    """The snippets of each published text, with absolute addresses (``SITE_URL``): they are pasted
    into other sites' pages. Empty for a statement readers cannot see yet."""
    if not statement.is_public:
        return []
    snippets = []
    for text in published_texts(statement):
        args = [statement.slug, text.language]
        embed_url = settings.SITE_URL + reverse("statements:embed_in", args=args)
        badge_url = settings.SITE_URL + reverse("statements:badge_svg_in", args=args)
        fragment_url = settings.SITE_URL + reverse("statements:badge_html_in", args=args)
        statement_url = settings.SITE_URL + reverse("statements:read_in", args=args)
        title = " ".join(text.revision.title.split())
        with in_text_language(text.language):
            alt = gettext("%(title)s: the number of confirmed signatures") % {"title": title}
        snippets.append(
            EmbedSnippets(
                language=text.language,
                language_name=native_language_name(text.language),
                embed_url=embed_url,
                badge_url=badge_url,
                badge_path=reverse("statements:badge_svg_in", args=args),
                fragment_url=fragment_url,
                iframe_code=format_html(
                    '<iframe src="{}" title="{}" width="100%" height="1400" loading="lazy" '
                    'style="border:0;max-width:40rem"></iframe>',
                    embed_url,
                    title,
                ),
                image_code=format_html(
                    '<a href="{}"><img src="{}" alt="{}" width="{}" height="{}"></a>',
                    statement_url,
                    badge_url,
                    alt,
                    BADGE_WIDTH,
                    BADGE_HEIGHT,
                ),
                fragment_code=render_to_string(
                    "statements/embeds/badge_fragment.html", {"badge": _badge(statement, text)}
                ).strip(),
            )
        )
    return snippets
