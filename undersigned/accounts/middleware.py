"""Two gates in front of every staff page.

``StaffSessionMiddleware`` keeps a row per signed-in browser (``StaffSession``): a session whose row
is gone (ended from another browser) or that has been idle too long is signed out.

``SecondFactorMiddleware`` sends a signed-in user who has not yet given a second factor in this
session to the page that asks for a code, or, for a role that must have one and has none yet, to
the page that sets one up. Public pages are never affected: signers have no accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import StaffSession, User
from undersigned.accounts.second_factor import has_second_factor, is_verified, needs_second_factor
from undersigned.accounts.sessions import SESSION_MARKER_KEY

LAST_SEEN_EVERY = timedelta(minutes=1)

# Pages that sit behind the second factor: the staff workspace, the admin, and the account's own
# security pages.
GUARDED_PREFIXES = ("/staff/", "/admin/", "/accounts/security/", "/accounts/password/")


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a request that carries a session can be signed in; public readers have none.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and isinstance(request.user, User):
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        marker = request.session.get(SESSION_MARKER_KEY)
        row = StaffSession.objects.filter(marker=marker).first() if isinstance(marker, str) else None
        now = timezone.now()
        ended = _why_ended(row, request.user.pk, now)
        if ended:
            logout(request)  # which deletes the row too (``sessions``, on user_logged_out)
            messages.info(request, ended)
        elif row is not None and now - row.last_seen > LAST_SEEN_EVERY:
            StaffSession.objects.filter(pk=row.pk).update(last_seen=now)


def _why_ended(row: StaffSession | None, user_id: object, now: datetime) -> str:
    """Why this session is over, or "" while it goes on."""
    if row is None or row.user_id != user_id:
        return _("This session was ended. Sign in again.")
    if now - row.created_at > timedelta(seconds=settings.SESSION_COOKIE_AGE):
        return _("Your session has ended after 12 hours. Sign in again.")
    if now - row.last_seen > timedelta(seconds=settings.STAFF_SESSION_IDLE_SECONDS):
        return _("You were signed out after a while without activity. Sign in again.")
    return ""


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(GUARDED_PREFIXES) and isinstance(request.user, User):
            redirect = self._redirect(request, request.user)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    @staticmethod
    def _redirect(request: HttpRequest, user: User) -> HttpResponse | None:
        if is_verified(request):
            return None
        if has_second_factor(user):
            target = "accounts:second_factor"
        elif needs_second_factor(user):
            target = "accounts:second_factor_setup"
        else:
            return None
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
