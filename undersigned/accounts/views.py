from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from undersigned.accounts.access import staff_member
from undersigned.accounts.forms import SignInForm
from undersigned.commissions.selectors import commission_list_localised
from undersigned.federation.selectors import federation_identity


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST from the header's button; Django refuses GET, so a link cannot sign anyone out."""


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    identity = federation_identity()
    commissions = commission_list_localised(
        language=get_language() or identity.default_language,
        default_language=identity.default_language,
        member=actor,
    )
    return render(request, "accounts/dashboard.html", {"commissions": commissions, "actor": actor})
