"""The pages behind personal links: always private, and one answer for a link that does not open.

``personal_link(kind)`` wraps a view that takes ``(request, ref, token)``: the link is read before
the view runs, and any ``LinkError`` (from reading it, or from spending it inside the view or its
service) becomes the same page, with the status the error carries; so does a sound link to a
record that is gone (the view's ``Http404``), as a link that does not work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from undersigned.core.links import LinkError, LinkInvalidError, LinkKind, read_link

Ref = TypeVar("Ref")
P = ParamSpec("P")


def private(response: HttpResponse) -> HttpResponse:
    """A page reached through a personal link: never cached, never indexed."""
    add_never_cache_headers(response)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def link_problem(request: HttpRequest, error: LinkError) -> HttpResponse:
    kind = error.kind
    broken = error.code == "link_invalid"
    context = {
        "error": error,
        "hint": kind.broken_hint if broken else kind.hint,
        "renew_url": reverse(kind.renew_url_name) if kind.renew_url_name else "",
    }
    return private(render(request, "link_problem.html", context, status=error.status))


def broken_link(kind: LinkKind[Any]) -> Callable[..., HttpResponse]:
    """The view for every address that starts like a ``kind`` link but matches none: the link
    cut short by a mail program (nothing after the prefix) or split and joined with a slash.
    It answers as a link that does not work, not as a page that does not exist."""

    def view(request: HttpRequest, rest: str = "") -> HttpResponse:
        if rest and "/" not in rest and request.method in ("GET", "HEAD"):
            # Only the final slash is missing: the whole link may be there, as APPEND_SLASH would.
            return HttpResponsePermanentRedirect(request.path + "/")
        return link_problem(request, LinkInvalidError(kind))

    return view


def personal_link(
    kind: LinkKind[Ref],
) -> Callable[[Callable[Concatenate[HttpRequest, Ref, str, P], HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[Concatenate[HttpRequest, Ref, str, P], HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                ref = read_link(kind, token)
                return private(view(request, ref, token, *args, **kwargs))
            except LinkError as error:
                return link_problem(request, error)
            except Http404:
                # A sound link to something that is gone (erased, purged): the same private page.
                return link_problem(request, LinkInvalidError(kind))

        return wrapped

    return decorate
