from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from undersigned.accounts.forms import SignInForm
from undersigned.actions.selectors import actions_awaiting_count
from undersigned.commissions.selectors import commission_list_localised
from undersigned.federation.selectors import federation_identity
from undersigned.ledger.witness_selectors import witnesses_refusing
from undersigned.permissions.access import staff_member
from undersigned.permissions.roles import moderates_anything
from undersigned.statements.selectors import statements_with_offers_waiting


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Django's LoginView names the site after the request's host; the page shows the
        # federation's name, as every other page does (the context processor's).
        context.pop("site", None)
        context.pop("site_name", None)
        return context

    def get_redirect_url(self) -> str:
        # A "next" that points back at this page would send a signed-in user round in a loop.
        url = super().get_redirect_url()
        path = url.split("?")[0]
        if path == self.request.path:
            return ""
        # The admin sends staff without admin access back here; sending them on would loop.
        if path.startswith("/admin/") and not getattr(self.request.user, "is_staff", False):
            return ""
        return url


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST from the header's button; Django refuses GET, so a link cannot sign anyone out."""


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    identity = federation_identity()
    moderates = moderates_anything(actor)
    commissions = commission_list_localised(
        language=get_language() or identity.default_language,
        default_language=identity.default_language,
        member=actor,
    )
    return render(
        request,
        "accounts/dashboard.html",
        {
            "commissions": commissions,
            "actor": actor,
            "moderates": moderates,
            "actions_awaiting": actions_awaiting_count(actor) if moderates else 0,
            "offers_waiting": statements_with_offers_waiting(actor=actor),
            # The secretariat chooses the witnesses, so it is told when one refuses.
            "refusing_witnesses": witnesses_refusing() if actor.is_secretariat else [],
        },
    )
