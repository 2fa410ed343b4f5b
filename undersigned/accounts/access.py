"""Who the signed-in staff member is, for views behind ``login_required``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from undersigned.accounts.models import User


def staff_member(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user


def secretariat_member(request: HttpRequest) -> User:
    """The signed-in member of the secretariat; anyone else gets the 403 page."""
    user = staff_member(request)
    if not user.is_secretariat:
        raise PermissionDenied
    return user
