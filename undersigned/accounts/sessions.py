"""Staff sessions the user can see and end: one ``StaffSession`` row per signed-in browser."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from undersigned.accounts.models import StaffSession, User
from undersigned.accounts.second_factor import new_session_marker

SESSION_MARKER_KEY = "staff_session"

_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_summary(user_agent: str) -> str:
    """ "Firefox on Linux": enough to recognise one's own browsers, and no more."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    if not browser and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system


def _idle_since() -> datetime:
    return timezone.now() - timedelta(seconds=settings.STAFF_SESSION_IDLE_SECONDS)


def session_start(request: HttpRequest, user: User) -> StaffSession:
    # Sessions left to time out (no sign-out) are dead: their rows go at the user's next sign-in.
    StaffSession.objects.filter(user=user, last_seen__lt=_idle_since()).delete()
    marker = new_session_marker()
    request.session[SESSION_MARKER_KEY] = marker
    return StaffSession.objects.create(
        user=user, marker=marker, browser=browser_summary(request.headers.get("User-Agent", "")[:500])
    )


def sessions_of(user: User) -> QuerySet[StaffSession]:
    """The user's sessions that can still be used: those idle for too long are signed out anyway."""
    return StaffSession.objects.filter(user=user, last_seen__gte=_idle_since()).order_by("-last_seen")


def session_end(*, user: User, session_id: int) -> bool:
    """Ends one of ``user``'s sessions: it is signed out at its next request."""
    deleted, _rows = StaffSession.objects.filter(user=user, pk=session_id).delete()
    return bool(deleted)


def sessions_end_others(*, user: User, keep_marker: str | None) -> int:
    deleted, _rows = StaffSession.objects.filter(user=user).exclude(marker=keep_marker or "").delete()
    return deleted


def _on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and isinstance(user, User) and hasattr(request, "session"):
        session_start(request, user)


def _on_sign_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        marker = request.session.get(SESSION_MARKER_KEY)
        if isinstance(marker, str):
            StaffSession.objects.filter(marker=marker).delete()


def connect() -> None:
    user_logged_in.connect(_on_sign_in, dispatch_uid="staff-session-start")
    user_logged_out.connect(_on_sign_out, dispatch_uid="staff-session-end")
