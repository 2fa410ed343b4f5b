from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.core import process_caches, ratelimit
from undersigned.core.exceptions import DomainError
from undersigned.core.links import TokenExpiredError, TokenInvalidError
from undersigned.core.network import network_country, network_hash
from undersigned.signatures import proof_of_work
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.forms import SignForm, form_started_token
from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import public_signatures
from undersigned.signatures.services import signature_confirm, signature_submit, signature_withdraw
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tokens import (
    SignatureRef,
    read_confirm_token,
    read_withdraw_token,
    withdraw_token,
)
from undersigned.statements.models import Revision, Statement
from undersigned.statements.selectors import PUBLIC_STATUSES, statement_for_reading

Ref = TypeVar("Ref")
# (limit, window in seconds). Generous: whole offices, campuses and mobile carriers share a network.
NETWORK_PER_STATEMENT = (120, 600)
NETWORK_SITE_WIDE = (600, 600)
ADDRESS_PER_STATEMENT = (5, 3600)


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached through a personal link: never cached, never indexed."""
    add_never_cache_headers(response)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _answer(
    request: HttpRequest, statement: Statement, template: str, context: dict[str, object], status: int
) -> HttpResponse:
    """A full page without JavaScript; the fragment that replaces the form with it."""
    context = {"statement": statement, **context}
    if _wants_fragment(request):
        return render(request, f"signatures/includes/{template}", context, status=status)
    page_context = {**context, "fragment": f"signatures/includes/{template}"}
    return render(request, "signatures/sign_result.html", page_context, status=status)


def _statement_or_404(slug: str) -> Statement:
    try:
        return statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None


def _statement_to_sign_or_404(slug: str) -> Statement:
    """Only what signing needs: no texts, which the sign form does not show again."""
    statement = Statement.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if statement is None:
        raise Http404
    return statement


_CSRF_PLACEHOLDER = "__csrf_token__"
_STARTED_PLACEHOLDER = "__form_started__"


def sign_form_html(request: HttpRequest, statement: Statement, revision: Revision) -> SafeString:
    """The empty sign form of the statement page.

    Rendering it (some 250 countries) is most of the page's cost, and it is the same for every
    reader of a revision in a language but for two values, so it is rendered once per process and
    those two values are filled in per request.
    """
    language = get_language() or "en"
    key = (revision.pk, language, statement.requires_proof_of_work, statement.slug)
    template = _SIGN_FORMS.get(key)
    if template is None:
        form = SignForm(initial={"revision": revision.pk, "started": _STARTED_PLACEHOLDER})
        template = render_to_string(
            "signatures/includes/form.html",
            {
                "statement": statement,
                "sign_form": form,
                "requires_proof_of_work": statement.requires_proof_of_work,
                "csrf_token": _CSRF_PLACEHOLDER,
            },
        )
        _SIGN_FORMS[key] = template
        if len(_SIGN_FORMS) > 256:
            _SIGN_FORMS.pop(next(iter(_SIGN_FORMS)))
    html = template.replace(_CSRF_PLACEHOLDER, get_token(request)).replace(_STARTED_PLACEHOLDER, form_started_token())
    return mark_safe(html)  # noqa: S308  (rendered by our template; the two values are tokens we made)


_SIGN_FORMS: dict[tuple[int, str, bool, str], str] = {}
process_caches.register(
    __name__,
    "_SIGN_FORMS",
    clear=_SIGN_FORMS.clear,
    never_stale="keyed by every value the form shows: revision, language, proof of work, statement's slug",
)


def sign_form_context(
    request: HttpRequest, statement: Statement, revision: Revision, form: SignForm | None = None
) -> dict[str, object]:
    if form is None:
        return {"sign_form_html": sign_form_html(request, statement, revision)}
    return {"sign_form": form, "requires_proof_of_work": statement.requires_proof_of_work}


# Published revisions never change: each process keeps the ones it has been asked for.
_REVISIONS: dict[int, Revision] = {}
process_caches.register(
    __name__, "_REVISIONS", clear=_REVISIONS.clear, never_stale="keyed by a revision's id; revisions are never updated"
)


def _revision_of(statement: Statement, revision_id: int) -> Revision | None:
    revision = _REVISIONS.get(revision_id)
    if revision is None:
        revision = Revision.objects.select_related("text").filter(pk=revision_id).first()
        if revision is None:
            return None
        if len(_REVISIONS) > 1024:
            _REVISIONS.clear()
        _REVISIONS[revision_id] = revision
    return revision if revision.text.statement_id == statement.pk else None


@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _statement_to_sign_or_404(slug)
    if not statement.takes_signatures():
        return _answer(request, statement, "closed.html", {}, status=410)
    form = SignForm(request.POST)
    if form.is_probably_a_bot():
        data = request.POST.copy()
        data["started"] = form_started_token()
        data["website"] = ""
        form = SignForm(data)
        form.is_valid()
        form.add_error(None, _("The form was sent back too quickly. Check your details and send it again."))
        return _answer(request, statement, "form.html", {"sign_form": form}, status=400)
    if not form.is_valid():
        return _answer(request, statement, "form.html", {"sign_form": form}, status=400)
    revision = _revision_of(statement, form.cleaned_data["revision"])
    if revision is None:
        form.add_error(None, _("This form belongs to another statement. Reload the page and sign again."))
        return _answer(request, statement, "form.html", {"sign_form": form}, status=400)
    solved = bool(form.cleaned_data["altcha"]) and proof_of_work.verify(form.cleaned_data["altcha"])
    if statement.requires_proof_of_work and not solved:
        form.add_error(
            None,
            _(
                "This statement asks your browser to solve a small puzzle before signing. "
                "Turn on JavaScript and wait for the check to finish."
            ),
        )
        return _answer(request, statement, "form.html", {"sign_form": form}, status=400)
    network = network_hash(request)
    address = email_hash(form.cleaned_data["email"])
    limits = [
        (f"sign:network:{network[:32]}:{statement.pk}", *NETWORK_PER_STATEMENT),
        (f"sign:network:{network[:32]}", *NETWORK_SITE_WIDE),
        (f"sign:address:{address[:32]}:{statement.pk}", *ADDRESS_PER_STATEMENT),
    ]
    if not ratelimit.allow_all(limits):
        return _answer(request, statement, "too_many.html", {}, status=429)
    try:
        signature_submit(
            statement=statement,
            revision=revision,
            signer=form.signer(),
            network_hash=network,
            language=get_language() or "en",
            proof_of_work=solved,
            network_country=network_country(request),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _answer(request, statement, "form.html", {"sign_form": form}, status=error.status)
    return _answer(request, statement, "check_email.html", {}, status=200)


def read_link(token: str, reader: Callable[[str], Ref], expired: Callable[[], HttpResponse]) -> Ref | HttpResponse:
    """What a personal link names; ``expired()`` (sent as a private page) for an expired link;
    404 for a forged, altered or foreign one."""
    try:
        return reader(token)
    except TokenExpiredError:
        return _private(expired())
    except TokenInvalidError:
        raise Http404 from None


def _ref_or_error(
    request: HttpRequest, token: str, reader: Callable[[str], SignatureRef]
) -> SignatureRef | HttpResponse:
    return read_link(token, reader, lambda: render(request, "signatures/link_expired.html", status=410))


def _signature_or_404(ref: SignatureRef, statuses: tuple[str, ...] = ()) -> Signature:
    """The signature a link names, with what its pages show; the statement must match the link's."""
    signatures = Signature.objects.select_related("statement", "revision").filter(
        pk=ref.signature_id, statement_id=ref.statement_id
    )
    signature = (signatures.filter(status__in=statuses) if statuses else signatures).first()
    if signature is None:
        raise Http404
    return signature


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so mail scanners that open links change nothing."""
    ref = _ref_or_error(request, token, read_confirm_token)
    if isinstance(ref, HttpResponse):
        return ref
    if request.method == "POST":
        try:
            signature_confirm(signature_id=ref.signature_id, statement_id=ref.statement_id)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            return _private(render(request, "signatures/message.html", {"message": error.message}, status=error.status))
        return HttpResponseRedirect(reverse("signatures:thanks", args=[withdraw_token(ref)]))
    signature = _signature_or_404(ref)
    return _private(render(request, "signatures/confirm.html", {"signature": signature}))


@require_safe
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    ref = _ref_or_error(request, token, read_withdraw_token)
    if isinstance(ref, HttpResponse):
        return ref
    signature = _signature_or_404(ref, statuses=(Signature.Status.CONFIRMED, Signature.Status.HELD))
    return _private(
        render(
            request,
            "signatures/thanks.html",
            {
                "signature": signature,
                # Read now, not from the cache: the signer has just been counted and looks for it.
                "tally": tally_for_statement(signature.statement_id, fresh=True),
                "token": token,
            },
        )
    )


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    ref = _ref_or_error(request, token, read_withdraw_token)
    if isinstance(ref, HttpResponse):
        return ref
    signature = _signature_or_404(ref)
    if request.method == "POST":
        if signature_withdraw(signature_id=ref.signature_id, statement_id=ref.statement_id):
            tally_for_statement(ref.statement_id, fresh=True)  # the statement page shows the change at once
        return _private(render(request, "signatures/withdrawn.html", {"signature": signature}))
    if signature.status == Signature.Status.WITHDRAWN:
        return _private(render(request, "signatures/withdrawn.html", {"signature": signature}))
    return _private(render(request, "signatures/withdraw.html", {"signature": signature}))


@require_safe
def signer_list(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _statement_or_404(slug)
    page = Paginator(public_signatures(statement_id=statement.pk), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "signatures/list.html",
        {"statement": statement, "page": page, "tally": tally_for_statement(statement.pk)},
    )


@require_safe
def altcha_challenge(request: HttpRequest) -> HttpResponse:
    from django.http import JsonResponse

    response = JsonResponse(proof_of_work.new_challenge())
    add_never_cache_headers(response)
    return response
