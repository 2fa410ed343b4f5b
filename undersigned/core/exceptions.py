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
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail or {}

    def __str__(self) -> str:
        return str(self.message)
