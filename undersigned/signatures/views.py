from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.api.cursors import keyset_page
from undersigned.core import process_caches
from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.core.link_pages import personal_link
from undersigned.core.network import network_country, network_hash
from undersigned.core.public_pages import cross_origin_protected, shared_cacheable
from undersigned.ledger.log_selectors import logged_events_of
from undersigned.ledger.views import receipt_response
from undersigned.signatures import proof_of_work
from undersigned.signatures.forms import SignForm
from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import public_signatures
from undersigned.signatures.services import (
    SIGN_FORM_TIMER,
    signature_confirm,
    signature_submit,
    signature_withdraw,
    signing_refusal,
)
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tokens import CONFIRM_LINK, WITHDRAW_LINK, SignatureRef, withdraw_token
from undersigned.statements.models import Revision, Statement
from undersigned.statements.presentation import text_for_reader
from undersigned.statements.selectors import PUBLIC_STATUSES, statement_for_reading


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _answer(
    request: HttpRequest, statement: Statement, template: str, context: dict[str, object], status: int
) -> HttpResponse:
    """A full page without JavaScript; the fragment that replaces the form with it."""
    context = {"statement": statement, **context}
    if _wants_fragment(request):
        return render(request, f"signatures/includes/{template}", context, status=status)
    # The page's heading is the statement's title, in the text the reader reads.
    chosen = text_for_reader(request, statement)
    page_context = {
        **context,
        "fragment": f"signatures/includes/{template}",
        "revision": chosen.revision if chosen is not None else None,
    }
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


_STARTED_PLACEHOLDER = "__form_started__"


def sign_form_html(request: HttpRequest, statement: Statement, revision: Revision) -> SafeString:
    """The empty sign form of the statement page.

    Rendering it (some 250 countries) is most of the page's cost, and it is the same for every
    reader of a revision in a language but for the time it was drawn, so it is rendered once per
    process and that time is filled in per request. It carries no CSRF token: the page is the same
    for every visitor, for shared caches to keep (``core.public_pages``). The time is the moment
    the page is made: a copy a cache serves a few seconds later is only older, which the minimum
    fill time lets through, and far younger than the hour after which a form is refused.
    """
    language = get_language() or "en"
    key = (revision.pk, language, statement.needs_proof_of_work(), statement.slug)
    template = _SIGN_FORMS.get(key)
    if template is None:
        form = SignForm(initial={"revision": revision.pk, "started": _STARTED_PLACEHOLDER})
        template = render_to_string(
            "signatures/includes/form.html",
            {
                "statement": statement,
                "sign_form": form,
                "requires_proof_of_work": statement.needs_proof_of_work(),
            },
        )
        _SIGN_FORMS[key] = template
        if len(_SIGN_FORMS) > 256:
            _SIGN_FORMS.pop(next(iter(_SIGN_FORMS)))
    html = template.replace(_STARTED_PLACEHOLDER, SIGN_FORM_TIMER.started_token())
    return mark_safe(html)  # noqa: S308  (rendered by our template; the value is a token we made)


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
    return {"sign_form": form, "requires_proof_of_work": statement.needs_proof_of_work()}


@cross_origin_protected
@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    statement = _statement_to_sign_or_404(slug)
    template, context, status = sign_form_submission(request, statement, language=get_language() or "en")
    return _answer(request, statement, template, context, status=status)


SignAnswer = tuple[str, dict[str, object], int]


def sign_form_submission(request: HttpRequest, statement: Statement, *, language: str) -> SignAnswer:
    """The sign form's POST, for every page that carries the form (the statement page, the embed):
    the answer's fragment in ``signatures/includes/``, its context and its status. The rules are all
    ``signature_submit``'s; ``language`` is the one the confirmation mail is written in."""
    form = SignForm(request.POST)
    if not form.is_valid():
        refusal = signing_refusal(
            statement=statement, started=request.POST.get("started", ""), honeypot=request.POST.get("website", "")
        )
        if refusal is not None:
            return _refused(request, form, refusal)
        # Nothing was checked beyond the form: the proof of work the browser solved is unspent.
        return "form.html", {"sign_form": form, "keep_proof_of_work": True}, 400
    data = form.cleaned_data
    try:
        signature_submit(
            statement=statement,
            revision_id=data["revision"],
            signer=form.signer(),
            started=data["started"],
            honeypot=data["website"],
            proof_of_work_answer=data["altcha"],
            network_hash=network_hash(request),
            network_country=network_country(request),
            language=language,
        )
    except DomainError as error:
        return _refused(request, form, error)
    return "check_email.html", {}, 200


def _refused(request: HttpRequest, form: SignForm, error: DomainError) -> SignAnswer:
    if error.code == "not_open":
        return "closed.html", {}, error.status
    if error.code == "too_many":
        return "too_many.html", {}, error.status
    keep_proof_of_work = error.code == TOO_FAST
    if keep_proof_of_work:
        # The person keeps what they typed, with the form's timer started again, and the proof
        # of work their browser solved: the timer is checked first, so it was not spent.
        form = SignForm(SIGN_FORM_TIMER.redrawn(request.POST, honeypot="website"))
        form.is_valid()
    form.add_error(None, error.message)
    return "form.html", {"sign_form": form, "keep_proof_of_work": keep_proof_of_work}, error.status


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
@personal_link(CONFIRM_LINK)
def confirm(request: HttpRequest, ref: SignatureRef, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so mail scanners that open links change nothing."""
    if request.method == "POST":
        try:
            signature_confirm(signature_id=ref.signature_id, statement_id=ref.statement_id)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            return render(request, "signatures/message.html", {"message": error.message}, status=error.status)
        return HttpResponseRedirect(reverse("signatures:thanks", args=[withdraw_token(ref)]))
    signature = _signature_or_404(ref)
    return render(request, "signatures/confirm.html", {"signature": signature})


@require_safe
@personal_link(WITHDRAW_LINK)
def thanks(request: HttpRequest, ref: SignatureRef, token: str) -> HttpResponse:
    signature = _signature_or_404(ref, statuses=(Signature.Status.CONFIRMED, Signature.Status.HELD))
    return render(
        request,
        "signatures/thanks.html",
        {
            "signature": signature,
            # Read now, not from the cache: the signer has just been counted and looks for it.
            "tally": tally_for_statement(signature.statement_id, fresh=True),
            "token": token,
            "logged_events": logged_events_of(signature.statement_id, signature.public_id),
        },
    )


@require_safe
@personal_link(WITHDRAW_LINK)
def receipt(request: HttpRequest, ref: SignatureRef, token: str) -> HttpResponse:
    """The signer's receipt from the log: proof, to its holder only, that the signature is counted
    (and, after a withdrawal, that it was counted and then removed)."""
    signature = _signature_or_404(ref)
    return receipt_response(
        request, statement_id=signature.statement_id, slug=signature.statement.slug, public_id=signature.public_id
    )


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(WITHDRAW_LINK)
def withdraw(request: HttpRequest, ref: SignatureRef, token: str) -> HttpResponse:
    signature = _signature_or_404(ref)
    if request.method == "POST":
        if signature_withdraw(signature_id=ref.signature_id, statement_id=ref.statement_id):
            tally_for_statement(ref.statement_id, fresh=True)  # the statement page shows the change at once
        return render(request, "signatures/withdrawn.html", {"signature": signature})
    if signature.status == Signature.Status.WITHDRAWN:
        return render(request, "signatures/withdrawn.html", {"signature": signature})
    return render(request, "signatures/withdraw.html", {"signature": signature})


@shared_cacheable
@require_safe
def signer_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Newest first, by keyset: ``?older=`` / ``?newer=`` carry a signed cursor of (confirmed_at,
    id), so page 20,000 costs what page 1 does; the total shown is the tally's, never a count."""
    statement = _statement_or_404(slug)
    signatures = public_signatures(statement_id=statement.pk)
    kind = SIGNER_LIST_CURSOR % statement.pk
    newer = request.GET.get("newer", "")
    cursor = newer or request.GET.get("older", "")
    error, status = "", 200
    try:
        page = keyset_page(
            signatures,
            field="confirmed_at",
            cursor=cursor[:500],
            limit=SIGNER_LIST_PAGE,
            kind=kind,
            direction="newer" if newer else "older",
        )
    except DomainError:
        # A forged, altered or another statement's cursor: say so, and show the first page.
        page = keyset_page(signatures, field="confirmed_at", cursor="", limit=SIGNER_LIST_PAGE, kind=kind)
        error, status = _("This page link is not valid; here is the start of the list."), 400
    return render(
        request,
        "signatures/list.html",
        {"statement": statement, "page": page, "tally": tally_for_statement(statement.pk), "cursor_error": error},
        status=status,
    )


SIGNER_LIST_PAGE = 50
SIGNER_LIST_CURSOR = "signer-list.%d"


@require_safe
def altcha_challenge(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(proof_of_work.new_challenge())
    add_never_cache_headers(response)
    return response
