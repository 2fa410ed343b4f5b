"""The moderators' queue of a statement's signatures: filter by signal, status, network and time;
invalidate or restore a batch with a recorded reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from undersigned.core.exceptions import DomainError
from undersigned.permissions.access import access_statement, staff_member
from undersigned.permissions.roles import Capability
from undersigned.signatures.fraud import WEIGHTS
from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import MODERATED_STATUSES, moderation_queryset
from undersigned.signatures.services import MAX_REASON_LENGTH, signatures_invalidate, signatures_restore
from undersigned.signatures.tallies import tally_for_statement

SIGNAL_LABELS = {
    "disposable_domain": _("Throwaway email domain"),
    "network_burst": _("Burst from one network"),
    "similar_names": _("Many identical names"),
    "fast_confirmation": _("Confirmed within seconds"),
    "no_proof_of_work": _("No proof of work"),
    "country_mismatch": _("Country not that of the network"),
}
PAGE_SIZE = 100


class QueueFilter(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any"))] + [(status, Signature.Status(status).label) for status in MODERATED_STATUSES],
    )
    signal = forms.ChoiceField(
        label=_("Signal"), required=False, choices=[("", _("Any"))] + [(name, SIGNAL_LABELS[name]) for name in WEIGHTS]
    )
    network = forms.RegexField(
        label=_("Network"),
        required=False,
        regex=r"^[0-9a-f]{4,64}$",
        max_length=64,
        error_messages={"invalid": _("A network code is the 4 to 64 hexadecimal characters shown in the list.")},
    )
    since = forms.DateTimeField(
        label=_("Signed from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        label=_("Signed before"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def criteria(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {key: data[key] for key in ("status", "signal", "network", "since", "until") if data.get(key)}


class ModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[("invalidate", _("Invalidate")), ("restore", _("Restore"))])
    reason = forms.CharField(
        label=_("Reason (published on the transparency page)"),
        help_text=_("For example: a burst from one network. Write no one's name: the public log keeps it for good."),
        max_length=MAX_REASON_LENGTH,
        required=False,
    )
    every_match = forms.BooleanField(required=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def signature_queue(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.MODERATE)
    filters = QueueFilter(request.GET or None)
    criteria = filters.criteria()
    matching = moderation_queryset(statement_id=statement.pk, **criteria)
    action_form = ModerationForm(request.POST or None)
    if request.method == "POST":
        if data_is_valid := action_form.is_valid():
            data = action_form.cleaned_data
            chosen = [int(pk) for pk in request.POST.getlist("chosen") if pk.isascii() and pk.isdigit()]
            if data["every_match"] and (filters.errors or not criteria):
                # Never "every signature of the statement" by accident: a batch needs a valid filter.
                action_form.add_error(None, _("Filter the list first: a whole batch needs a filter."))
                data_is_valid = False
            up_to = request.POST.get("up_to", "")
            # Only what the page showed: signatures that arrived since are not in the batch.
            shown = matching.filter(pk__lte=int(up_to)) if up_to.isascii() and up_to.isdigit() else matching.none()
            ids = list(shown.values_list("pk", flat=True)) if data["every_match"] else chosen
        if data_is_valid:
            change = signatures_invalidate if data["action"] == "invalidate" else signatures_restore
            try:
                outcome = change(actor=actor, statement=statement, signature_ids=ids, reason=data["reason"])
            except DomainError as error:
                action_form.add_error("reason" if error.code.startswith("reason") else None, error.message)
            else:
                done = (
                    ngettext("%(count)d signature invalidated.", "%(count)d signatures invalidated.", outcome.changed)
                    if data["action"] == "invalidate"
                    else ngettext("%(count)d signature restored.", "%(count)d signatures restored.", outcome.changed)
                )
                tally_for_statement(statement.pk, fresh=True)  # the statement page shows the change at once
                messages.success(request, done % {"count": outcome.changed})
                return HttpResponseRedirect(request.get_full_path())
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "signature": signature,
            "signals": [SIGNAL_LABELS.get(name, name) for name in signature.signals],
            "network": signature.network_hash[:8],
        }
        for signature in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "signatures/staff/queue.html",
        {
            "statement": statement,
            "filters": filters,
            "form": action_form,
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "query": query.urlencode(),
            "up_to": matching.values_list("pk", flat=True).order_by("-pk").first() or 0,
        },
        status=400 if action_form.errors or filters.errors else 200,
    )
