"""Every answer under /api/ that is not a success is JSON ``{"code", "message", "detail"}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# Stable codes for the statuses that no DomainError names.
STATUS_CODES = {
    400: "invalid",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    429: "too_many",
    500: "server_error",
}


def status_message(status: int) -> str:
    messages = {
        400: _("The request is not valid."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
        422: _("The request is not valid."),
        500: _("Something went wrong on our side."),
    }
    return str(messages.get(status, _("The request could not be answered.")))


def error_response(code: str, message: str, *, status: int, detail: dict[str, Any] | None = None) -> HttpResponse:
    return JsonResponse({"code": code, "message": str(message), "detail": detail or {}}, status=status)


def status_response(status: int, detail: dict[str, Any] | None = None) -> HttpResponse:
    return error_response(STATUS_CODES.get(status, "error"), status_message(status), status=status, detail=detail)
