from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from undersigned.core.request_logs import mark_route
from undersigned.federation.selectors import SiteIdentity, identity_for_request

# The JSON API's answers depend on Accept-Language alone: a program has no language switcher, and
# a shared cache in front keeps one copy per language rather than one per cookie. Its
# documentation page is a page like the others, switcher included.
JSON_API_PREFIX = "/api/"
API_DOCUMENTATION_PREFIX = "/api/v1/docs/"


def is_json_api(path: str) -> bool:
    return path.startswith(JSON_API_PREFIX) and not path.startswith(API_DOCUMENTATION_PREFIX)


def negotiate_interface_language(request: HttpRequest, identity: SiteIdentity, *, cookie: bool = True) -> str:
    """The switcher's choice (a cookie, unless ``cookie`` is false), else the browser's
    Accept-Language, else the default.

    Only languages the federation offers count; anything else, malformed or unknown, is passed over
    without an error.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") if cookie else ""
    if identity.offers(chosen):
        return chosen
    for accepted, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if accepted == "*":
            continue
        try:
            variant = translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
        if identity.offers(variant):
            return variant
    return identity.default_language


class InterfaceLanguageMiddleware:
    """Django's LocaleMiddleware, limited to the languages the federation offers.

    The interface language lives in a cookie, not in the address, so a shared link opens in the
    reader's own language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = is_json_api(request.path)
        with identity_for_request() as identity:
            language = negotiate_interface_language(request, identity, cookie=not api)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        # A response whose language its address fixes (the count badge) is the same for every
        # reader, so a cache in front keeps one copy of it.
        if api:
            patch_vary_headers(response, ("Accept-Language",))
        elif not getattr(response, "language_from_address", False):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response


class HealthCheckMiddleware:
    """Answers ``/healthz`` before any other middleware runs.

    Load balancers probe by IP address, with a Host header that ALLOWED_HOSTS rightly refuses, and
    over plain HTTP; the probe must also not depend on sessions or the federation's identity.
    """

    PATH = "/healthz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == self.PATH and request.method in {"GET", "HEAD"}:
            from undersigned.federation.views import healthz

            mark_route(request, "healthz")
            return healthz(request)
        return self.get_response(request)
