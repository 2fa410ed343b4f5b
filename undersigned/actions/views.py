"""The public list of a statement's solidarity actions; the form on which a member organisation's
signed-in contact reports one, and the public form for organisations that are not members, with its
contact's confirmation and withdrawal links; and the member contacts' page of their actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.actions.forms import ActionOpenReportForm, ActionReportForm
from undersigned.actions.models import SolidarityAction
from undersigned.actions.photos import MAX_PHOTO_BYTES
from undersigned.actions.presentation import public_actions
from undersigned.actions.selectors import action_countries, actions_for_list, actions_of_organisations
from undersigned.actions.services import (
    ACTION_FORM_TIMER,
    REPORTABLE_STATUSES,
    action_confirm,
    action_report,
    action_report_by_organisation,
    action_withdraw_by_link,
    action_withdraw_by_member,
    open_report_refusal,
)
from undersigned.actions.tokens import CONFIRM_ACTION_LINK, WITHDRAW_ACTION_LINK, ActionRef
from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.core.link_pages import personal_link, private
from undersigned.core.network import network_hash
from undersigned.core.public_pages import cross_origin_protected, declared_body_over, shared_cacheable
from undersigned.organisations.member_session import signed_in_member_email
from undersigned.organisations.services.members import contact_organisations_for, member_organisations_for
from undersigned.statements.models import Revision, Statement
from undersigned.statements.presentation import text_for_reader
from undersigned.statements.selectors import statement_for_reading

PAGE_SIZE = 50
# Anything larger than a photo and the form's fields is refused before the body is read.
MAX_REPORT_REQUEST_BYTES = MAX_PHOTO_BYTES + 64 * 1024


def _statement_and_revision_or_404(request: HttpRequest, slug: str) -> tuple[Statement, Revision]:
    try:
        statement = statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None
    chosen = text_for_reader(request, statement)
    if chosen is None:
        raise Http404
    return statement, chosen.revision


@shared_cacheable
@require_safe
def action_list(request: HttpRequest, slug: str) -> HttpResponse:
    statement, revision = _statement_and_revision_or_404(request, slug)
    in_countries = action_countries(statement.pk)
    wanted = request.GET.get("country", "")
    country = next((item for item in in_countries if item.code == wanted), None)
    page = Paginator(actions_for_list(statement.pk, country=country.code if country else None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    language = get_language() or "en"
    return render(
        request,
        "actions/list.html",
        {
            "statement": statement,
            "revision": revision,
            "countries": in_countries,
            "country": country,
            "total": sum(item.actions for item in in_countries),
            "page": page,
            "actions": public_actions(list(page), today=timezone.localdate(), language=language),
            "query": f"country={country.code}" if country else "",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def action_report_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Only for a member organisation's signed-in contact; anyone else is told how to sign in."""
    statement, revision = _statement_and_revision_or_404(request, slug)
    email = signed_in_member_email(request)
    organisations = member_organisations_for(email) if email else []
    if email is None or not organisations:
        # Anyone else: how a member's contact signs in, and the form for other organisations. A
        # member's report sent after the sign-in ended is refused with a word on why.
        if request.method == "POST":
            problem = (
                _("Your member sign-in has ended, so the report was not stored. Sign in again and report it.")
                if email is None
                else _(
                    "None of your organisations is a member of the federation now, so the report was not "
                    "stored. Report it with the form below."
                )
            )
            return _open_form_page(request, statement, revision, _empty_open_form(), status=403, problem=problem)
        return _open_form_page(request, statement, revision, _empty_open_form())
    context = {"statement": statement, "revision": revision, "open": statement.status in REPORTABLE_STATUSES}
    if request.method != "POST" or not context["open"]:
        form = ActionReportForm(organisations=organisations, initial={"country": organisations[0].country})
        status = 200 if context["open"] else 410
        return private(render(request, "actions/report.html", {**context, "form": form}, status=status))
    if declared_body_over(request, MAX_REPORT_REQUEST_BYTES):
        form = ActionReportForm(organisations=organisations, initial={"country": organisations[0].country})
        return _too_large_answer(request, "actions/report.html", {**context, "form": form})
    form = ActionReportForm(request.POST, request.FILES, organisations=organisations)
    if not form.is_valid():
        return private(render(request, "actions/report.html", {**context, "form": form}, status=400))
    try:
        action = action_report(
            statement=statement,
            organisation_id=form.cleaned_data["organisation"],
            email=email,
            data=form.action_input(),
        )
    except DomainError as error:
        for field, message in error.detail.get("fields", {}).items():
            form.add_error(field if field in form.fields else None, message)
        if not error.detail.get("fields"):
            form.add_error(None, error.message)
        return private(render(request, "actions/report.html", {**context, "form": form}, status=error.status))
    if action.status == SolidarityAction.Status.APPROVED:
        messages.success(request, _("Thank you: the action is published on this page."))
    else:
        messages.success(request, _("Thank you: the action is shown here once the issuing body has reviewed it."))
    return HttpResponseRedirect(reverse("actions:list", args=[statement.slug]))


def _too_large_answer(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    """The body is not read: an oversized upload costs the server nothing but this answer."""
    problem = _("The photo is larger than 8 MB. Choose a smaller file and fill in the form again.")
    response = private(render(request, template, {**context, "problem": problem}, status=413))
    response.headers["Connection"] = "close"
    return response


# --- Organisations that are not members ----------------------------------------------------------


def _empty_open_form() -> ActionOpenReportForm:
    return ActionOpenReportForm(initial={"started": ACTION_FORM_TIMER.started_token()})


def _open_form_page(
    request: HttpRequest,
    statement: Statement,
    revision: Revision,
    form: ActionOpenReportForm,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    is_open = statement.status in REPORTABLE_STATUSES
    return private(
        render(
            request,
            "actions/report_open.html",
            {"statement": statement, "revision": revision, "form": form, "open": is_open, "problem": problem},
            status=status if is_open else 410,
        )
    )


def _message_page(request: HttpRequest, kind: str, *, status: int = 200, **context: object) -> HttpResponse:
    return private(render(request, "actions/message.html", {"kind": kind, **context}, status=status))


# A form acting on no session: no CSRF token, a POST another site started refused by its headers.
@cross_origin_protected
@require_http_methods(["GET", "HEAD", "POST"])
def action_report_open(request: HttpRequest, slug: str) -> HttpResponse:
    """The report of an organisation that is not a member, confirmed by its contact by email."""
    statement, revision = _statement_and_revision_or_404(request, slug)
    if request.method != "POST":
        return _open_form_page(request, statement, revision, _empty_open_form())
    if declared_body_over(request, MAX_REPORT_REQUEST_BYTES):
        context = {"statement": statement, "revision": revision, "form": _empty_open_form(), "open": True}
        return _too_large_answer(request, "actions/report_open.html", context)
    form = ActionOpenReportForm(request.POST, request.FILES)
    if not form.is_valid():
        refusal = open_report_refusal(
            statement=statement, started=request.POST.get("started", ""), honeypot=request.POST.get("fax", "")
        )
        if refusal is not None:
            return _open_report_refused(request, statement, revision, form, refusal)
        return _open_form_page(request, statement, revision, form, status=400)
    try:
        action_report_by_organisation(
            statement=statement,
            reporter=form.reporter_input(),
            data=form.action_input(),
            started=form.cleaned_data["started"],
            honeypot=form.cleaned_data["fax"],
            network_hash=network_hash(request),
            language=get_language() or "en",
        )
    except DomainError as error:
        return _open_report_refused(request, statement, revision, form, error)
    return _message_page(request, "check_email", statement=statement)


def _open_report_refused(
    request: HttpRequest, statement: Statement, revision: Revision, form: ActionOpenReportForm, error: DomainError
) -> HttpResponse:
    if error.code == "too_many":
        return _message_page(request, "too_many", status=error.status, statement=statement)
    if error.code == TOO_FAST:
        # The reporter keeps what they typed (but the file), with the form's timer started again.
        form = ActionOpenReportForm(ACTION_FORM_TIMER.redrawn(request.POST, honeypot="fax"))
        form.is_valid()
    fields = error.detail.get("fields", {})
    for field, message in fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not fields:
        form.add_error(None, error.message)
    return _open_form_page(request, statement, revision, form, status=error.status)


def _action_or_404(ref: ActionRef) -> SolidarityAction:
    action = (
        SolidarityAction.objects.select_related("statement")
        .filter(pk=ref.action_id, statement_id=ref.statement_id, organisation__isnull=True)
        .first()
    )
    if action is None:
        raise Http404
    return action


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(CONFIRM_ACTION_LINK)
def action_confirm_page(request: HttpRequest, ref: ActionRef, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so mail scanners that open links change nothing."""
    action = _action_or_404(ref)
    if request.method == "POST":
        try:
            action = action_confirm(action_id=ref.action_id, statement_id=ref.statement_id)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            return _message_page(request, "error", status=error.status, message=error.message)
        return _message_page(request, "confirmed", action=action, statement=action.statement)
    return render(request, "actions/confirm.html", {"action": action, "title": _title(request, action.statement)})


@require_http_methods(["GET", "HEAD", "POST"])
@personal_link(WITHDRAW_ACTION_LINK)
def action_withdraw_page(request: HttpRequest, ref: ActionRef, token: str) -> HttpResponse:
    action = _action_or_404(ref)
    if request.method == "POST":
        action_withdraw_by_link(action_id=ref.action_id, statement_id=ref.statement_id)
        action.refresh_from_db()
    return render(request, "actions/withdraw.html", {"action": action, "title": _title(request, action.statement)})


def _title(request: HttpRequest, statement: Statement) -> object:
    chosen = text_for_reader(request, statement)
    return chosen.revision if chosen is not None else None


# --- A member organisation's contact: their organisations' actions -------------------------------


@require_http_methods(["GET", "HEAD"])
def member_actions(request: HttpRequest) -> HttpResponse:
    """The actions the signed-in contact's organisations reported, with their state; each can be withdrawn."""
    email = signed_in_member_email(request)
    organisations = contact_organisations_for(email) if email else []
    if not organisations:
        return HttpResponseRedirect(reverse("organisations:member_sign_in"))
    actions = actions_of_organisations([item.pk for item in organisations])
    return private(render(request, "actions/member_actions.html", {"actions": actions, "organisations": organisations}))


@require_POST
def member_action_withdraw(request: HttpRequest) -> HttpResponse:
    email = signed_in_member_email(request)
    if email is None:
        return HttpResponseRedirect(reverse("organisations:member_sign_in"))
    try:
        action_id = int(request.POST.get("action", ""))
    except ValueError:
        action_id = 0
    if not 0 < action_id < 2**63:  # an id no database could hold is one not found
        action_id = 0
    try:
        changed = action_withdraw_by_member(email=email, action_id=action_id)
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("actions:member_actions"))
    if changed:
        messages.success(request, _("The action is withdrawn: it is no longer shown, and its photo is deleted."))
    else:
        messages.info(request, _("This action was already withdrawn or not published."))
    return HttpResponseRedirect(reverse("actions:member_actions"))
