"""Public pages of organisations' sign-ons: the sign-on form, the contact's confirmation and
withdrawal links, and the member contacts' sign-in and one-click endorsement."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import native_language_name
from undersigned.core.link_pages import personal_link, private
from undersigned.core.links import LinkError
from undersigned.core.network import network_hash
from undersigned.core.public_pages import cross_origin_protected, declared_body_over, shared_cacheable
from undersigned.organisations.forms import MemberSignInForm, SignOnForm
from undersigned.organisations.logos import MAX_LOGO_BYTES, LogoError
from undersigned.organisations.member_session import member_session_close, member_session_open, signed_in_member_email
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.members import (
    member_endorse_by_contact,
    member_organisations_for,
    member_sign_in_open,
    member_sign_in_request,
)
from undersigned.organisations.services.sign_ons import (
    SIGN_ON_FORM_TIMER,
    sign_on_confirm,
    sign_on_refusal,
    sign_on_submit,
    sign_on_withdraw,
)
from undersigned.organisations.tokens import (
    CONFIRM_LINK,
    SIGN_IN_LINK,
    WITHDRAW_LINK,
    SignOnRef,
)
from undersigned.statements.models import Revision, Statement
from undersigned.statements.presentation import reader_language_preferences, text_for_reader
from undersigned.statements.selectors import PUBLIC_STATUSES, choose_text, offers_of, published_texts

# Anything larger than a logo and the form's fields is refused before the body is read.
MAX_SIGN_ON_REQUEST_BYTES = MAX_LOGO_BYTES + 64 * 1024


def _statement_and_revision_or_404(request: HttpRequest, slug: str) -> tuple[Statement, Revision]:
    statement = Statement.objects.select_related("commission").filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if statement is None:
        raise Http404
    chosen = text_for_reader(request, statement)
    if chosen is None:
        raise Http404
    return statement, chosen.revision


def _form_page(
    request: HttpRequest,
    statement: Statement,
    revision: Revision,
    form: SignOnForm,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    return render(
        request,
        "organisations/sign_on.html",
        {
            "statement": statement,
            "revision": revision,
            "form": form,
            "open": statement.takes_signatures(),
            "problem": problem,
        },
        status=status,
    )


# A public form on a page shared caches keep: no CSRF token, a POST from another site refused by its
# headers alone (``core.public_pages``), so an oversized upload is still refused unread.
@cross_origin_protected
@shared_cacheable
@require_http_methods(["GET", "HEAD", "POST"])
def sign_on(request: HttpRequest, slug: str) -> HttpResponse:
    statement, revision = _statement_and_revision_or_404(request, slug)
    empty = SignOnForm(initial={"revision": revision.pk, "started": SIGN_ON_FORM_TIMER.started_token()})
    if request.method != "POST":
        return _form_page(request, statement, revision, empty, status=200 if statement.takes_signatures() else 410)
    if declared_body_over(request, MAX_SIGN_ON_REQUEST_BYTES):
        # The body is not read: a 50 MB upload costs the server nothing but this answer.
        problem = _("The logo is larger than 2 MB. Choose a smaller file and fill in the form again.")
        response = _form_page(request, statement, revision, empty, status=413, problem=problem)
        response.headers["Connection"] = "close"
        return response
    return _sign_on_posted(request, statement, revision)


def _sign_on_posted(request: HttpRequest, statement: Statement, revision: Revision) -> HttpResponse:
    form = SignOnForm(request.POST, request.FILES)
    if not form.is_valid():
        refusal = sign_on_refusal(
            statement=statement, started=request.POST.get("started", ""), honeypot=request.POST.get("fax", "")
        )
        if refusal is not None:
            return _sign_on_refused(request, statement, revision, form, refusal)
        return _form_page(request, statement, revision, form, status=400)
    data = form.cleaned_data
    try:
        sign_on_submit(
            statement=statement,
            revision_id=data["revision"],
            data=form.sign_on_input(),
            logo_upload=data.get("logo") or None,
            started=data["started"],
            honeypot=data["fax"],
            network_hash=network_hash(request),
            language=get_language() or "en",
        )
    except DomainError as error:
        return _sign_on_refused(request, statement, revision, form, error)
    return render(request, "organisations/message.html", {"statement": statement, "kind": "check_email"})


def _sign_on_refused(
    request: HttpRequest, statement: Statement, revision: Revision, form: SignOnForm, error: DomainError
) -> HttpResponse:
    if error.code == "too_many":
        return render(
            request, "organisations/message.html", {"statement": statement, "kind": "too_many"}, status=error.status
        )
    if isinstance(error, LogoError):
        form.add_error("logo", error.message)
        return _form_page(request, statement, revision, form, status=error.status)
    if error.code == TOO_FAST:
        # The contact keeps what they typed (but the file), with the form's timer started again.
        form = SignOnForm(SIGN_ON_FORM_TIMER.redrawn(request.POST, honeypot="fax"))
        form.is_valid()
    form.add_error(None, error.message)
    return _form_page(request, statement, revision, form, status=error.status)


def _sign_on_or_404(ref: SignOnRef) -> SignOn:
    sign_on = (
        SignOn.objects.select_related("statement", "revision")
        .filter(pk=ref.sign_on_id, statement_id=ref.statement_id)
        .first()
    )
    if sign_on is None:
        raise Http404
    return sign_on


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(CONFIRM_LINK)
def confirm(request: HttpRequest, ref: SignOnRef, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so mail scanners that open links change nothing."""
    if request.method == "POST":
        try:
            confirmed = sign_on_confirm(sign_on_id=ref.sign_on_id, statement_id=ref.statement_id)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            return render(
                request, "organisations/message.html", {"kind": "error", "message": error.message}, status=error.status
            )
        return render(
            request,
            "organisations/message.html",
            {"kind": "confirmed", "sign_on": confirmed, "statement": confirmed.statement},
        )
    sign_on = _sign_on_or_404(ref)
    return render(request, "organisations/confirm.html", {"sign_on": sign_on})


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(WITHDRAW_LINK)
def withdraw(request: HttpRequest, ref: SignOnRef, token: str) -> HttpResponse:
    sign_on = _sign_on_or_404(ref)
    if request.method == "POST":
        sign_on_withdraw(sign_on_id=ref.sign_on_id, statement_id=ref.statement_id)
        sign_on.refresh_from_db()
    return render(request, "organisations/withdraw.html", {"sign_on": sign_on})


# --- Member contacts ----------------------------------------------------------------------------


@cross_origin_protected
@shared_cacheable
@require_http_methods(["GET", "HEAD", "POST"])
def member_sign_in(request: HttpRequest) -> HttpResponse:
    """Asks for an address and mails a sign-in link if it is a verified contact of a member.

    The answer is the same whether or not it is, so the page does not tell who is a contact.
    """
    form = MemberSignInForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "organisations/member_sign_in.html", {"form": form}, status=400 if form.errors else 200)
    member_sign_in_request(
        email=form.cleaned_data["email"], network_hash=network_hash(request), language=get_language() or "en"
    )
    return render(request, "organisations/message.html", {"kind": "sign_in_sent"})


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(SIGN_IN_LINK)
def member_sign_in_link(request: HttpRequest, email: str, token: str) -> HttpResponse:
    """GET shows a button; its POST signs in, once: a link is spent by its first use."""
    if request.method != "POST":
        return render(request, "organisations/member_sign_in_link.html")
    try:
        member_sign_in_open(token=token)
    except LinkError:
        raise  # the link's own page, from personal_link
    except DomainError as error:
        return render(request, "organisations/message.html", {"kind": error.code}, status=error.status)
    member_session_open(request, token)
    return HttpResponseRedirect(reverse("organisations:member_home"))


@require_http_methods(["GET", "HEAD", "POST"])
def member_home(request: HttpRequest) -> HttpResponse:
    email = signed_in_member_email(request)
    if email is None:
        return HttpResponseRedirect(reverse("organisations:member_sign_in"))
    if request.method == "POST":
        return _member_endorse(request, email)
    organisations = member_organisations_for(email)
    open_statements = [
        statement
        for statement in Statement.objects.filter(status=Statement.Status.PUBLISHED)
        .select_related("commission")
        .order_by("-published_at")
        if statement.takes_signatures()
    ]
    endorsed = {
        (sign_on.statement_id, sign_on.organisation_id): sign_on
        for sign_on in SignOn.objects.filter(
            statement__in=open_statements, organisation__in=organisations, status__in=SignOn.ACTIVE_STATUSES
        )
    }
    rows = []
    preferences = reader_language_preferences(request)
    for statement in open_statements:
        chosen = choose_text(
            published_texts(statement), original_language=statement.original_language, preferences=preferences
        )
        if chosen is None:
            continue
        rows.append(
            {
                "statement": statement,
                "revision": chosen.revision,
                "organisations": [
                    {"organisation": organisation, "sign_on": endorsed.get((statement.pk, organisation.pk))}
                    for organisation in organisations
                ],
            }
        )
    offers = [
        {
            "text": text,
            "language_name": native_language_name(text.language),
            "published": text.published_revision_id is not None,
        }
        for text in offers_of(organisation.pk for organisation in organisations)
    ]
    return private(
        render(
            request,
            "organisations/member_home.html",
            {"rows": rows, "organisations": organisations, "offers": offers},
        )
    )


def _member_endorse(request: HttpRequest, email: str) -> HttpResponse:
    try:
        statement_id, organisation_id = (
            int(request.POST.get("statement", "")),
            int(request.POST.get("organisation", "")),
        )
    except ValueError:
        messages.error(request, _("Choose a statement and an organisation."))
        return HttpResponseRedirect(reverse("organisations:member_home"))
    try:
        sign_on = member_endorse_by_contact(
            email=email, statement_id=statement_id, organisation_id=organisation_id, language=get_language() or "en"
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    else:
        name = sign_on.name
        if sign_on.status == SignOn.Status.APPROVED:
            messages.success(request, _("%(organisation)s now endorses this statement.") % {"organisation": name})
        else:
            messages.success(
                request, _("%(organisation)s's endorsement is waiting for review.") % {"organisation": name}
            )
    return HttpResponseRedirect(reverse("organisations:member_home"))


@require_POST
def member_sign_out(request: HttpRequest) -> HttpResponse:
    member_session_close(request)
    return HttpResponseRedirect(reverse("organisations:member_sign_in"))
