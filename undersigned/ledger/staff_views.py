"""Editors set a statement's milestones from its page in the staff workspace."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from undersigned.core.exceptions import DomainError
from undersigned.ledger.services import milestones_set
from undersigned.permissions.access import access_statement, staff_member
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
