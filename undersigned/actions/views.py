"""The public list of a statement's solidarity actions, and the form on which a member
organisation's signed-in contact reports one."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.actions.forms import ActionReportForm
from undersigned.actions.models import SolidarityAction
from undersigned.actions.presentation import public_actions
from undersigned.actions.selectors import action_countries, actions_for_list
from undersigned.actions.services import REPORTABLE_STATUSES, action_report
from undersigned.core.exceptions import DomainError
from undersigned.core.link_pages import private
from undersigned.core.public_pages import shared_cacheable
from undersigned.organisations.member_session import signed_in_member_email
from undersigned.organisations.services.members import member_organisations_for
from undersigned.statements.models import Revision, Statement
from undersigned.statements.presentation import text_for_reader
from undersigned.statements.selectors import statement_for_reading

PAGE_SIZE = 50


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
        return private(
            render(request, "actions/sign_in_needed.html", {"statement": statement, "revision": revision}, status=403)
        )
    context = {"statement": statement, "revision": revision, "open": statement.status in REPORTABLE_STATUSES}
    if request.method != "POST" or not context["open"]:
        form = ActionReportForm(organisations=organisations, initial={"country": organisations[0].country})
        status = 200 if context["open"] else 410
        return private(render(request, "actions/report.html", {**context, "form": form}, status=status))
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
