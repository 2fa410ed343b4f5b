"""The editors' review queue of organisations' sign-ons."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from undersigned.core.exceptions import DomainError
from undersigned.organisations.forms import ReviewForm
from undersigned.organisations.models import SignOn
from undersigned.organisations.selectors import queue_counts, review_queue, reviewable_sign_ons
from undersigned.organisations.services.sign_ons import sign_ons_approve, sign_ons_reject
from undersigned.permissions.access import staff_member
from undersigned.permissions.roles import moderates_anything
from undersigned.statements.models import Statement
from undersigned.statements.selectors import statement_working_titles_load

STATUS_TABS = (SignOn.Status.AWAITING_MODERATION, SignOn.Status.APPROVED, SignOn.Status.REJECTED, SignOn.Status.PENDING)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_queue_page(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not moderates_anything(actor):
        raise PermissionDenied
    status = request.GET.get("status", SignOn.Status.AWAITING_MODERATION)
    if status not in STATUS_TABS:
        status = SignOn.Status.AWAITING_MODERATION
    statements = list(
        Statement.objects.filter(pk__in=reviewable_sign_ons(actor).values("statement_id")).order_by("slug")
    )
    try:
        statement_id: int | None = int(request.GET.get("statement", ""))
    except ValueError:
        statement_id = None
    if statement_id not in {statement.pk for statement in statements}:
        statement_id = None
    entries = review_queue(actor, status=status, statement_id=statement_id)
    # The page names each statement by its title: found for all of them in one query.
    statement_working_titles_load([*statements, *(entry.sign_on.statement for entry in entries)])
    counts = queue_counts(actor)
    form = ReviewForm(
        request.POST if request.method == "POST" else None, choices=[entry.sign_on.pk for entry in entries]
    )
    if request.method == "POST":
        data = request.POST.copy()
        if "approve_one" in data:  # a row's own button
            data.setlist("chosen", data.getlist("approve_one")[:1])
            data["action"] = "approve"
            form = ReviewForm(data, choices=[entry.sign_on.pk for entry in entries])
        if form.is_valid():
            try:
                if form.cleaned_data["action"] == "approve":
                    outcome = sign_ons_approve(actor=actor, sign_on_ids=form.cleaned_data["chosen"])
                    done = ngettext("%(count)d sign-on approved.", "%(count)d sign-ons approved.", outcome.changed)
                else:
                    outcome = sign_ons_reject(
                        actor=actor, sign_on_ids=form.cleaned_data["chosen"], reason=form.cleaned_data["reason"]
                    )
                    done = ngettext("%(count)d sign-on rejected.", "%(count)d sign-ons rejected.", outcome.changed)
            except DomainError as error:
                form.add_error("reason" if error.code.startswith("reason") else None, error.message)
            else:
                messages.success(request, done % {"count": outcome.changed})
                if outcome.skipped:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)d was no longer waiting for review and was left as it was.",
                            "%(count)d were no longer waiting for review and were left as they were.",
                            outcome.skipped,
                        )
                        % {"count": outcome.skipped},
                    )
                return HttpResponseRedirect(request.get_full_path())
    return render(
        request,
        "organisations/staff/review_queue.html",
        {
            "entries": entries,
            "form": form,
            "status": status,
            "tabs": [(tab, SignOn.Status(tab).label, counts.get(tab, 0)) for tab in STATUS_TABS],
            "statements": statements,
            "statement_id": statement_id,
            "reviewing": status == SignOn.Status.AWAITING_MODERATION,
        },
        status=400 if form.errors else 200,
    )
