"""A staff member's own security: the second factor at sign-in, setting it up, backup codes, the
list of signed-in sessions, and passwords (change, and reset by email)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.enrolment import ALLOWED_SESSION_KEY as ENROLMENT_ALLOWED_SESSION_KEY
from undersigned.accounts.enrolment import enrolment_allowed, enrolment_link_open, enrolment_link_send
from undersigned.accounts.forms import CodeForm, StaffPasswordResetForm
from undersigned.accounts.models import StaffSession, User
from undersigned.accounts.second_factor import (
    backup_codes_left,
    backup_codes_renew,
    code_accepted,
    enrolment_confirm,
    enrolment_device,
    fresh_enough,
    has_second_factor,
    is_verified,
    mark_verified,
    needs_second_factor,
    qr_code_svg,
    secret_of,
)
from undersigned.accounts.services import password_reset_allowed
from undersigned.accounts.sessions import SESSION_MARKER_KEY, session_end, sessions_end_others, sessions_of
from undersigned.core.link_pages import link_problem
from undersigned.core.links import LinkError
from undersigned.core.network import network_hash
from undersigned.permissions.access import staff_member

if TYPE_CHECKING:
    from undersigned.api.forms import TokenForm
    from undersigned.api.services import NewToken


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("staff:dashboard")


def ask_code_again(next_url: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('accounts:second_factor')}?{urlencode({'again': 1, 'next': next_url})}")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Asks for a code after the password, or again before an action that needs a fresh one."""
    user = staff_member(request)
    if not has_second_factor(user):
        return HttpResponseRedirect(
            f"{reverse('accounts:second_factor_setup')}?{urlencode({'next': _next_url(request)})}"
        )
    form = CodeForm(
        request.POST or None,
        request=request,
        user=user,
        accept=lambda code: code_accepted(user, code),
        wrong=_(
            "This code is not right, or was already used. Codes change every 30 seconds: type the "
            "newest one, or one of your backup codes."
        ),
    )
    if request.method == "POST" and form.is_valid():
        mark_verified(request, form.accepted)
        return HttpResponseRedirect(_next_url(request))
    elif request.method == "GET" and is_verified(request) and "again" not in request.GET:
        return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "next": _next_url(request), "again": "again" in request.GET and is_verified(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    user = staff_member(request)
    if has_second_factor(user) and not fresh_enough(request):
        # Replacing an authenticator needs a code of the current one, typed just now: neither a
        # stolen password nor a session left open elsewhere may do it.
        return ask_code_again(request.get_full_path())
    if not has_second_factor(user) and not enrolment_allowed(request, user):
        return _enrolment_by_mail(request, user)
    device = enrolment_device(request, user)
    form = CodeForm(
        request.POST or None,
        request=request,
        user=user,
        accept=lambda code: enrolment_confirm(user=user, device=device, code=code),
        wrong=_(
            "This code is not right. Check that the app shows the account you just added, and type its newest code."
        ),
    )
    if request.method == "POST" and form.is_valid():
        device.refresh_from_db()
        mark_verified(request, device)
        # The mailed link allowed one set-up: a later one (after a reset) needs a new link.
        request.session.pop(ENROLMENT_ALLOWED_SESSION_KEY, None)
        return render(
            request,
            "accounts/backup_codes.html",
            {"codes": form.accepted, "next": _next_url(request), "first": True},
        )
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr_code_svg(device.config_url),
            "secret": secret_of(device),
            "required": needs_second_factor(user),
            "next": _next_url(request),
        },
        status=400 if form.errors else 200,
    )


def _enrolment_by_mail(request: HttpRequest, user: User) -> HttpResponse:
    """The first set-up starts from a link mailed to the account (see ``accounts.enrolment``)."""
    sent = refused = False
    if request.method == "POST":
        sent = enrolment_link_send(user=user, language=get_language() or settings.LANGUAGE_CODE)
        refused = not sent
    return render(
        request,
        "accounts/second_factor_enrolment.html",
        {"sent": sent, "refused": refused, "required": needs_second_factor(user), "email": user.email},
        status=429 if refused else 200,
    )


@never_cache
@login_required
@require_safe
def second_factor_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: opened while signed in to its account, it lets this session set up."""
    user = staff_member(request)
    try:
        enrolment_link_open(request, user=user, token=token)
    except LinkError as error:
        return link_problem(request, error)
    return HttpResponseRedirect(reverse("accounts:second_factor_setup"))


@never_cache
@login_required
@require_safe
def security(request: HttpRequest) -> HttpResponse:
    return security_page(request, staff_member(request))


def security_page(
    request: HttpRequest,
    user: User,
    *,
    new_token: NewToken | None = None,
    token_form: TokenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The security page; with ``new_token`` (just made) it shows that token's secret, this once."""
    # Imported here: the API's tokens sit above accounts, which every other domain builds on.
    from undersigned.api.forms import TokenForm
    from undersigned.api.selectors import tokens_of

    current = request.session.get(SESSION_MARKER_KEY)
    return render(
        request,
        "accounts/security.html",
        {
            "has_second_factor": has_second_factor(user),
            "required": needs_second_factor(user),
            "backup_codes_left": backup_codes_left(user),
            "sessions": [{"session": session, "current": session.marker == current} for session in sessions_of(user)],
            "idle_hours": settings.STAFF_SESSION_IDLE_SECONDS // 3600,
            "tokens": tokens_of(user),
            "new_token": new_token,
            "token_form": token_form or TokenForm(auto_id="token_%s"),
        },
        status=status,
    )


@never_cache
@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    user = staff_member(request)
    if not has_second_factor(user):
        return HttpResponseRedirect(reverse("accounts:second_factor_setup"))
    if not fresh_enough(request):
        # New backup codes open everything a code opens: only for whoever typed a code just now.
        return ask_code_again(reverse("accounts:security"))
    codes = backup_codes_renew(user=user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("accounts:security")})


@never_cache
@login_required
@require_POST
def end_sessions(request: HttpRequest) -> HttpResponse:
    user = staff_member(request)
    which = request.POST.get("session", "")
    if which == "others":
        count = sessions_end_others(user=user, keep_marker=request.session.get(SESSION_MARKER_KEY))
        messages.success(request, _("Other sessions ended: %(count)d.") % {"count": count})
    elif which.isascii() and which.isdigit() and session_end(user=user, session_id=int(which)):
        messages.success(request, _("The session is ended: that browser is signed out."))
    else:
        messages.error(request, _("That session was already ended."))
    return HttpResponseRedirect(reverse("accounts:security"))


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The new password signs out every other browser (Django's session hash); their rows go too.
        sessions_end_others(user=self.request.user, keep_marker=self.request.session.get(SESSION_MARKER_KEY))  # type: ignore[arg-type]
        messages.success(self.request, _("Your password is changed. Your other sessions are signed out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """The same page and the same answer whether or not the address has an account."""

    template_name = "accounts/password_reset.html"
    form_class = StaffPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_sent")

    def form_valid(self, form: Any) -> HttpResponse:
        if not password_reset_allowed(email=form.cleaned_data["email"], network_hash=network_hash(self.request)):
            return HttpResponseRedirect(self.get_success_url())  # the same answer, and no mail
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        if isinstance(user, User):
            StaffSession.objects.filter(user=user).delete()
        return response


@require_safe
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


@require_safe
def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")
