"""The protected reads of the staff pages: who is signed in, and the object a page is about if the
signed-in member of staff may have it. Every staff view starts here; the services check again.

An object that the actor may not even see is "not found", exactly as a missing one: a 403 would tell
an editor of another commission that a statement with that address exists. Only someone who may see
the object, but not do what the page does with it, is told "forbidden".

These raise Django's ``Http404`` and ``PermissionDenied``, which Django answers with its "not
found" and "forbidden" pages, because only views call them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from undersigned.accounts.models import User
from undersigned.permissions.roles import Capability, can, can_translate, may_see_statement
from undersigned.statements.models import Statement, StatementText


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


def access_statement(*, actor: User, slug: str, capability: Capability) -> Statement:
    """The statement a staff page is about: 404 if there is none or ``actor`` may not see it, 403 if
    they may see it but lack ``capability`` for it. Every staff page about one statement starts here."""
    statement = Statement.objects.select_related("commission").filter(slug=slug).first()
    if statement is None or not may_see_statement(actor, statement):
        raise Http404
    if capability != Capability.VIEW and not can(actor, capability, statement):
        raise PermissionDenied
    return statement


def access_text(*, actor: User, slug: str, language: str) -> StatementText:
    """The text in ``language`` of the statement, for the page that edits it: 404 if either is missing
    or ``actor`` may not see the statement, 403 if they may see it but may not work on that language."""
    statement = access_statement(actor=actor, slug=slug, capability=Capability.VIEW)
    if "\x00" in language:
        raise Http404  # no language code has one, and PostgreSQL refuses a NUL in a query's text
    if not can_translate(actor, statement, language):
        raise PermissionDenied
    text = statement.texts.select_related("published_revision").filter(language=language).first()
    if text is None:
        raise Http404
    text.statement = statement
    return text
