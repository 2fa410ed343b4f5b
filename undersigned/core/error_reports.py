"""Error reports that carry no personal data.

Django builds an error report (the traceback page under DEBUG, the email to ``ADMINS``, anything
that uses ``ExceptionReporter``) from the request and the stack. Its stock filter hides only what a
view marks as sensitive, and only with DEBUG off. A signer's name and address pass through many
frames on their way to being sealed, so here everything a visitor sent or that identifies them is
hidden, always: form and query values, uploaded files, cookies, addresses and most headers, the
signed-in user, every local variable of the traceback, and email addresses and personal links in
the exception's message and the request's path. What is left is what a developer needs: the
exception's type and (redacted) message, the code path, the method, the field names and settings.
"""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from undersigned.core.log_redaction import redact

# Request headers and server variables shown as they are: none identifies a visitor or repeats
# what they sent. Everything else (REMOTE_ADDR, X-Forwarded-For, Referer, User-Agent, the query
# string, cookies, the server's environment) is shown by name only.
SHOWN_META = frozenset(
    {
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_HOST",
        "HTTP_X_FORWARDED_PROTO",
        "REQUEST_METHOD",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "wsgi.url_scheme",
    }
)


class PersonalDataFilter(SafeExceptionReporterFilter):
    """``DEFAULT_EXCEPTION_REPORTER_FILTER``: hides every submitted value, cookie, identifying header
    and local variable, with DEBUG on or off."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        try:
            names = list(request.POST)
        except Exception:  # an unreadable or oversized body must not stop the report
            return {}
        return dict.fromkeys(names, self.cleansed_substitute)

    def get_cleansed_multivaluedict(self, request: HttpRequest, multivaluedict: Any) -> Any:
        return dict.fromkeys(multivaluedict, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> ItemsView[str, Any]:
        return dict.fromkeys(tb_frame.f_locals, self.cleansed_substitute).items()

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = getattr(request, "META", {})
        return {name: value if name in SHOWN_META else self.cleansed_substitute for name, value in meta.items()}

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)


class PersonalDataFreeExceptionReporter(ExceptionReporter):
    """``DEFAULT_EXCEPTION_REPORTER``: what the filter cannot reach, because Django's reporter puts
    it in the report unfiltered: query values, uploaded files' names, the full address with its
    query string, the signed-in user's name, and the path and exception messages (which may hold a
    personal link's token or an address)."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        hidden = self.filter.cleansed_substitute
        request = self.request
        if request is not None:
            data["request_GET_items"] = [(name, hidden) for name in request.GET]
            try:
                data["request_FILES_items"] = [(name, hidden) for name in request.FILES]
            except Exception:  # an unreadable body must not stop the report
                data["request_FILES_items"] = []
            # No query string: its values are what the visitor sent.
            host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
            data["request_insecure_uri"] = redact(f"{request.scheme}://{host}{request.path}")
            user = getattr(request, "user", None)
            data["user_str"] = f"user {user.pk}" if user is not None and user.is_authenticated else "anonymous"
        if "exception_value" in data:
            data["exception_value"] = redact(data["exception_value"])
        for frame in data["frames"]:
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = redact(str(frame["exc_cause"]))
        return data

    def get_traceback_html(self) -> SafeString:
        # The path appears in headings; redacting what was escaped keeps it escaped.
        return mark_safe(redact(super().get_traceback_html()))  # noqa: S308  (Django's escaped report)

    def get_traceback_text(self) -> SafeString:
        return mark_safe(redact(super().get_traceback_text()))  # noqa: S308  (plain text, never put in HTML)
