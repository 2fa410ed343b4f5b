"""``Authorization: Bearer <token>`` for the staff endpoints: ninja's HttpBearer, whose refusals are
the API's JSON errors (a 401 with ``WWW-Authenticate``, a 429 with ``Retry-After``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from undersigned.api.models import ApiToken
from undersigned.api.services import missing_token, token_authenticate
from undersigned.core.network import network_hash


class StaffToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken:
        scheme, _space, presented = request.headers.get(self.header, "").strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not presented.strip():
            # ninja's own answer would be a bare 401 without the header that says what to send.
            raise missing_token()
        return self.authenticate(request, presented.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        return token_authenticate(presented=token, network_hash=network_hash(request))


def token_of(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # the router's auth guarantees one; a guard, not a path
        raise missing_token()
    return token
