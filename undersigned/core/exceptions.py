"""The one error type that services raise for a rule the caller broke.

Views show ``message`` on the page; the API turns it into ``{"code", "message", "detail"}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        detail: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail or {}
        # For the API's answer, e.g. ``WWW-Authenticate`` with a 401 or ``Retry-After`` with a 429.
        self.headers = headers or {}

    def __str__(self) -> str:
        return str(self.message)
