"""What every answer under /api/ shares, whichever view (or none) made it: CORS for the public
reads, conditional GETs with an ETag (and a Last-Modified where the view gives one), a short public
cache lifetime, and JSON instead of the site's HTML error pages (Django's own 404 for an unknown
address, 405s).

Answers vary by ``Accept-Language`` alone (the language middleware reads no language cookie for
the API): no view of the API reads a cookie or the session, so a shared cache keeps one copy per
language, not one per visitor."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import parse_http_date_safe

from undersigned.api.errors import status_response
from undersigned.federation.middleware import is_json_api

# Short: a count moves while a statement is signed, and the tallies are cached for 5 s anyway.
MAX_AGE_SECONDS = 5
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_json_api(request.path):
            return self.get_response(request)
        # The API reads no cookie. A browser sends ours with every call from our own origin: with
        # them gone, no middleware inside acts on a session here (a staff session's check, which
        # could sign out and set a cookie on an API answer, and would add Vary: Cookie).
        request.COOKIES = {}
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            # No credentials: the API reads no cookie, so a preflight never needs to allow them.
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = "Content-Type, Accept-Language, If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        else:
            if request.method == "HEAD":
                # ninja routes GET only; HEAD is the same answer, whose body the server leaves out.
                request.method = "GET"
                response = self.get_response(request)
                request.method = "HEAD"
            else:
                response = self.get_response(request)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After"
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replaced = status_response(response.status_code)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            response = replaced
            response["Access-Control-Allow-Origin"] = "*"
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.streaming:
            if "Cache-Control" not in response:
                patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
            set_response_etag(response)
            last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
            conditional = get_conditional_response(
                request, etag=response["ETag"], last_modified=last_modified, response=response
            )
            if conditional is not None:
                conditional["Access-Control-Allow-Origin"] = "*"
                return conditional
        return response
