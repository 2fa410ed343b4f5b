"""Editors set a statement's milestones from its page in the staff workspace; the secretariat
watches the site's log and chooses its witnesses."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.core.exceptions import DomainError
from undersigned.ledger.forms import WitnessForm
from undersigned.ledger.services import milestones_set
from undersigned.ledger.witness_selectors import log_overview
from undersigned.ledger.witness_services import (
    KEY_ERRORS,
    URL_ERRORS,
    witness_add,
    witness_set_active,
    witnessing_request,
)
from undersigned.permissions.access import access_statement, secretariat_member, staff_member
from undersigned.permissions.roles import Capability


@login_required
@require_POST
def milestones(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.MANAGE)
    raw = request.POST.get("milestones", "")[:1000]
    parts = [part for part in re.split(r"[\s,;]+", raw.replace("\u00a0", " ")) if part]
    numbers = [part.replace(".", "").replace("'", "") for part in parts]
    if not all(number.isdigit() for number in numbers):
        messages.error(request, _("Write the milestones as whole numbers, for example: 1000 5000 10000."))
    else:
        try:
            milestones_set(actor=actor, statement=statement, counts=[int(number) for number in numbers])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The milestones are saved."))
    return HttpResponseRedirect(reverse("staff:statement", args=[statement.slug]) + "#milestones")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def log_page(request: HttpRequest) -> HttpResponse:
    """The site's log and its witnesses; the form adds a witness."""
    actor = secretariat_member(request)
    form = WitnessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            witness = witness_add(actor=actor, vkey=form.cleaned_data["vkey"], url=form.cleaned_data["url"])
        except DomainError as error:
            field = "vkey" if error.code in KEY_ERRORS else "url" if error.code in URL_ERRORS else None
            form.add_error(field, error.message)
        else:
            messages.success(request, _("The witness %(name)s is added.") % {"name": witness.name})
            return HttpResponseRedirect(reverse("staff:log"))
    return render(
        request,
        "ledger/staff_log.html",
        {"log": log_overview(), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def log_witness(request: HttpRequest, witness_id: int) -> HttpResponse:
    """Sets a witness aside, or takes it back."""
    actor = secretariat_member(request)
    action = request.POST.get("action")
    if action not in {"activate", "deactivate"}:
        messages.error(request, _("Choose to set the witness aside or to take it back."))
        return HttpResponseRedirect(reverse("staff:log"))
    try:
        witness = witness_set_active(actor=actor, witness_id=witness_id, active=action == "activate")
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    else:
        if witness.active:
            messages.success(request, _("The witness %(name)s is asked to cosign again.") % {"name": witness.name})
        else:
            messages.success(request, _("The witness %(name)s is set aside.") % {"name": witness.name})
    return HttpResponseRedirect(reverse("staff:log") + "#witnesses")


@login_required
@require_POST
def log_send(request: HttpRequest) -> HttpResponse:
    """Sends the newest checkpoint to the active witnesses now, in the background."""
    actor = secretariat_member(request)
    if witnessing_request(actor=actor):
        messages.success(
            request,
            _(
                "The newest checkpoint is on its way to the witnesses. "
                "Reload this page in a minute to see their answers."
            ),
        )
    else:
        messages.error(request, _("No witness is active: add one, or take one back, first."))
    return HttpResponseRedirect(reverse("staff:log") + "#witnesses")
