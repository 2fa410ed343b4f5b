"""Making and revoking staff API tokens, on the owner's security page (/accounts/security/, behind
the second factor like every staff page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from undersigned.accounts.second_factor import fresh_enough, has_second_factor
from undersigned.accounts.security_views import ask_code_again, security_page
from undersigned.api.forms import TokenForm
from undersigned.api.services import token_create, token_revoke
from undersigned.core.exceptions import DomainError
from undersigned.permissions.access import staff_member


@never_cache
@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    user = staff_member(request)
    if has_second_factor(user) and not fresh_enough(request):
        # A token opens what the owner's pages open, for up to a year: only for whoever typed a
        # code just now, as for new backup codes.
        return ask_code_again(reverse("accounts:security") + "#tokens-heading")
    form = TokenForm(request.POST, auto_id="token_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = token_create(user=user, name=data["name"], scopes=data["scopes"], days=data["days"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            # Shown in this answer only: the page is not cached, and the secret is kept nowhere.
            return security_page(request, user, new_token=created)
    return security_page(request, user, token_form=form, status=400)


@never_cache
@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_member(request)
    if token_revoke(actor=user, token_id=pk):
        messages.success(request, _("The token is revoked: it no longer works."))
    else:
        messages.error(request, _("That token was already revoked."))
    return HttpResponseRedirect(reverse("accounts:security") + "#tokens-heading")
