from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.accounts.models import User
from undersigned.commissions.forms import CommissionForm
from undersigned.commissions.models import Commission
from undersigned.commissions.selectors import access_commission, commission_list_localised
from undersigned.commissions.services import commission_create, commission_update
from undersigned.core.exceptions import DomainError
from undersigned.federation.selectors import federation_identity
from undersigned.permissions.access import secretariat_member


@login_required
@require_safe
def commission_list(request: HttpRequest) -> HttpResponse:
    actor = secretariat_member(request)
    identity = federation_identity()
    commissions = commission_list_localised(
        language=get_language() or identity.default_language,
        default_language=identity.default_language,
        member=actor,
    )
    return render(request, "commissions/staff_list.html", {"commissions": commissions})


def _save_commission(request: HttpRequest, actor: User, commission: Commission | None) -> HttpResponse:
    languages = federation_identity().offered_languages
    if request.method == "POST":
        form = CommissionForm(request.POST, commission=commission, languages=languages)
        if form.is_valid():
            try:
                if commission is None:
                    commission_create(
                        actor=actor,
                        slug=form.cleaned_data["slug"],
                        texts=form.localised_texts(),
                        members_skip_review=form.cleaned_data["members_skip_review"],
                    )
                else:
                    commission_update(
                        actor=actor,
                        commission=commission,
                        slug=form.cleaned_data["slug"],
                        texts=form.localised_texts(),
                        members_skip_review=form.cleaned_data["members_skip_review"],
                    )
            except DomainError as error:
                field = "slug" if error.code in {"slug_taken", "invalid_slug"} else None
                form.add_error(field, error.message)
            else:
                messages.success(request, _("The commission is saved."))
                return HttpResponseRedirect(reverse("staff:commission_list"))
    else:
        form = CommissionForm(commission=commission, languages=languages)
    return render(
        request,
        "commissions/staff_edit.html",
        {"form": form, "commission": commission},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def commission_new(request: HttpRequest) -> HttpResponse:
    return _save_commission(request, secretariat_member(request), None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def commission_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = secretariat_member(request)
    try:
        commission = access_commission(actor=actor, slug=slug)
    except DomainError:
        raise Http404 from None
    return _save_commission(request, actor, commission)
