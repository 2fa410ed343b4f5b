"""The secretariat sets how long a statement's personal data is kept after it closes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.core.exceptions import DomainError
from undersigned.permissions.access import secretariat_member
from undersigned.privacy.forms import RetentionForm
from undersigned.privacy.selectors import closing_time, personal_records_of, retention_deadline
from undersigned.privacy.services import statement_set_retention
from undersigned.statements.models import Statement


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def retention(request: HttpRequest, slug: str) -> HttpResponse:
    actor = secretariat_member(request)
    statement = Statement.objects.filter(slug=slug).first()
    if statement is None:
        raise Http404
    form = RetentionForm(request.POST or None, initial={"retention_days": statement.retention_days})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                statement_set_retention(actor=actor, statement=statement, days=form.cleaned_data["retention_days"])
            except DomainError as error:
                form.add_error("retention_days", error.message)
            else:
                messages.success(request, _("The retention period is saved."))
                return HttpResponseRedirect(reverse("staff:statement_retention", args=[statement.slug]))
        status = 400
    title = statement.texts.filter(language=statement.original_language).values_list("title", flat=True).first()
    return render(
        request,
        "privacy/staff/retention.html",
        {
            "statement": statement,
            "title": title or statement.slug,
            "form": form,
            "closes": closing_time(statement),
            "deadline": retention_deadline(statement),
            "held": personal_records_of(statement),
        },
        status=status,
    )
