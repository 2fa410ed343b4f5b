"""Public pages that a shared cache in front (nginx) may keep, and the public forms they carry.

A page is kept by a shared cache only if nothing in it belongs to one visitor. So the public forms
(sign, sign-on, your data, member sign-in) carry no CSRF token: Django's token lives in a cookie
that would have to be set, and differ, for every visitor. Those forms act on no session (each one
mails a link that its owner must open, and every service behind them applies its own limits), so
what a cross-site request forgery could abuse is only that the visitor's browser sends the request.
Browsers say where a request comes from, and ``cross_origin_refusal`` refuses one that another site
started, as Go's ``net/http.CrossOriginProtection`` does:

1. ``Sec-Fetch-Site: same-origin`` or ``none`` (typed, bookmarked): allowed; any other value
   (``cross-site``, ``same-site``): refused.
2. Without that header (older browsers; plain HTTP to a host that is not loopback), the ``Origin``
   header: allowed if its host is the request's own host or its origin is ``SITE_URL``'s, refused
   otherwise.
3. Neither header: allowed. Browsers send at least one on every POST they make, so the request
   comes from a program, which could post the form anyway and which no CSRF check stops.

Everything else (the staff pages, member pages, pages behind personal links, any request with a
session) keeps Django's full CSRF protection with its token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.views.decorators.csrf import csrf_exempt

P = ParamSpec("P")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# How long a shared cache may serve a public page without asking again. The count on the pages is
# itself read from a cache (``signatures.tallies.CACHE_SECONDS``); both together stay within 5 s.
SHARED_CACHE_SECONDS = 3


def _origin_of(url: str) -> tuple[str, str]:
    """Scheme and host of ``url``; two empty strings for one that cannot be read (``http://[::1``),
    which then matches no origin of ours and is refused."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", ""
    return parts.scheme.lower(), (parts.netloc or "").lower()


def cross_origin_refusal(request: HttpRequest) -> str | None:
    """Why this request must be refused as started by another site, or None to let it through."""
    if request.method in SAFE_METHODS:
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site in {"same-origin", "none"}:
        return None
    if fetch_site:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = request.headers.get("Origin", "").strip()
    if not origin:
        return None
    scheme, host = _origin_of(origin)
    if host and host == request.get_host().lower():
        return None
    if (scheme, host) == _origin_of(settings.SITE_URL):
        return None
    return f"Origin: {origin[:200]}"


def refused_cross_origin(request: HttpRequest) -> HttpResponse:
    response = render(request, "403_cross_origin.html", status=403)
    patch_cache_control(response, private=True, no_store=True)
    return response


def cross_origin_protected(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """For a public form's view: no CSRF token, and a POST another site started is refused (403).

    Only for views that act on no session; see this module's docstring.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if cross_origin_refusal(request) is not None:
            return refused_cross_origin(request)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def shared_cacheable(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A public page: its successful GET is marked for shared caches (``public, s-maxage``), with
    an ETag of its bytes. Browsers revalidate each time (``max-age=0``), so a reader never sees a
    copy older than the shared cache's. ``PrivateResponsesMiddleware`` takes the mark off again
    when the answer turns out to be per visitor (a session, a cookie set)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        return mark_shared(request, view(request, *args, **kwargs))

    return wrapper


def mark_shared(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method not in {"GET", "HEAD"} or response.status_code != 200 or "Cache-Control" in response:
        return response
    patch_cache_control(response, public=True, max_age=0, s_maxage=SHARED_CACHE_SECONDS)
    if response.streaming:
        return response
    if hasattr(response, "render") and callable(response.render):
        response.render()
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


def has_session(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class PrivateResponsesMiddleware:
    """No shared cache keeps an answer that is per visitor: one to a request with a session (staff,
    members) or one that sets a cookie is ``private, no-store``, whatever the view said.

    Outside the session and CSRF middleware, so that it sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if has_session(request) or response.cookies:
            cache_control = response.get("Cache-Control", "")
            if "no-store" not in cache_control or "public" in cache_control:
                if "Cache-Control" in response:
                    del response["Cache-Control"]
                patch_cache_control(response, private=True, no_store=True)
        return response


def declared_body_over(request: HttpRequest, limit: int) -> bool:
    """Whether a public form's request says it carries more than ``limit`` bytes (or says it
    unreadably): the form refuses it with its own page before reading a byte of the body."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True
