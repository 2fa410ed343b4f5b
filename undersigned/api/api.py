"""The public JSON API, mounted at /api/v1/: reads of statements for anyone, and signing.

No cookie is read, so no request can act with a visitor's session: CSRF protection is not needed
(ninja checks CSRF only for cookie authentication, which this API does not use). The schema is at
``openapi.json``; ninja's documentation page is off, as it loads scripts from another site.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from undersigned.api.errors import error_response, status_response
from undersigned.api.routers import actions, log, signatures, staff, statements
from undersigned.core import ratelimit
from undersigned.core.exceptions import DomainError
from undersigned.core.ratelimit import RULES
from undersigned.signatures.services import SIGN_RULES

logger = logging.getLogger(__name__)

# What signature_submit counts; its 429 names no rule, so the shortest window is when to retry.
RETRY_AFTER_SECONDS = {"too_many": min(RULES[name].window_seconds for name in SIGN_RULES)}

api = NinjaAPI(
    title="Undersigned",
    version="1",
    description="Public statements, their counts and signatories, and signing.",
    urls_namespace="api",
    docs_url=None,
)
api.add_router("/statements", statements.router)
api.add_router("/statements", signatures.router)
api.add_router("/statements", actions.router)
api.add_router("/staff", staff.router)
api.add_router("/log", log.router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    response = error_response(error.code, error.message, status=error.status, detail=error.detail)
    if error.status == 429:
        response["Retry-After"] = str(_retry_after(error.code))
    for name, value in error.headers.items():
        response[name] = value
    return response


def _retry_after(code: str) -> int:
    if code == "too_many_mails":  # counted per day: the day's window ends at midnight UTC
        return ratelimit.seconds_left_in_window("mail.recipient.daily")
    return RETRY_AFTER_SECONDS.get(code, 60)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields = sorted(
        {".".join(str(part) for part in item.get("loc", ())[2:] or item.get("loc", ())) for item in error.errors}
    )
    return status_response(422, {"fields": fields})


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # ninja's own: a body that is not JSON, and the like.
    return status_response(error.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return status_response(404)


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return status_response(413)


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    # Only the type and the address: the request may carry a signer's personal data.
    logger.exception("API error %s on %s %s", type(error).__name__, request.method, request.path)
    return status_response(500)


class ApiIndex(Schema):
    documentation: str = Field(description="The readable documentation page.")
    openapi: str = Field(description="This API's OpenAPI schema.")


@api.get("/", response=ApiIndex, summary="Where the documentation and the schema are", tags=["index"])
def api_index(request: HttpRequest) -> dict[str, str]:
    return {
        "documentation": request.build_absolute_uri(reverse("api_documentation")),
        "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
    }
