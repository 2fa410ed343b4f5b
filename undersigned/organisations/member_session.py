"""Who is signed in as a member organisation's contact: the sign-in link they opened, kept in their
session and read again on each request, so the session ends when the link expires."""

from __future__ import annotations

from django.http import HttpRequest

from undersigned.core.links import LinkError
from undersigned.organisations.tokens import read_sign_in_token

MEMBER_SESSION_KEY = "member_contact"


def member_session_open(request: HttpRequest, token: str) -> None:
    request.session.cycle_key()
    request.session[MEMBER_SESSION_KEY] = {"token": token}


def member_session_close(request: HttpRequest) -> None:
    request.session.pop(MEMBER_SESSION_KEY, None)


def signed_in_member_email(request: HttpRequest) -> str | None:
    """The signed-in member contact's address, from the (still unexpired) link kept in the session."""
    stored = request.session.get(MEMBER_SESSION_KEY)
    if not isinstance(stored, dict) or not isinstance(stored.get("token"), str):
        return None
    try:
        return read_sign_in_token(stored["token"])
    except LinkError:
        member_session_close(request)
        return None
