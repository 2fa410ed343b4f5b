"""The protected reads of the staff pages: who is signed in, and the object a page is about if the
signed-in member of staff may have it. Every staff view starts here; the services check again.

These raise Django's ``Http404`` and ``PermissionDenied``, which Django answers with its "not
found" and "forbidden" pages, because only views call them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from undersigned.accounts.models import User
from undersigned.permissions.roles import Capability, can, may_see_statement
from undersigned.statements.models import Statement


def staff_member(request: HttpRequest) -> User:
    """The signed-in member of staff, for views behind ``login_required``."""
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


def access_statement(*, actor: User, slug: str, capability: Capability | None = None) -> Statement:
    """The statement a staff page is about: 404 if there is none, 403 if ``actor`` may not see it or
    lacks ``capability`` for it. Every staff page about one statement starts here."""
    statement = Statement.objects.select_related("commission").filter(slug=slug).first()
    if statement is None:
        raise Http404
    allowed = can(actor, capability, statement) if capability else may_see_statement(actor, statement)
    if not allowed:
        raise PermissionDenied
    return statement
