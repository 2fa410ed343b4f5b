from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language

from undersigned.core.languages import language_direction, native_language_name
from undersigned.federation.selectors import federation_identity


def site_identity(request: HttpRequest) -> dict[str, Any]:
    identity = federation_identity()
    language = get_language() or identity.default_language
    text = identity.text_in(language)
    next_path = request.get_full_path()
    if request.path.startswith("/signatures/"):
        # Those addresses carry a signer's personal links; the switcher's links must not repeat them.
        next_path = "/"
    return {
        "outbox_enabled": settings.DEBUG and settings.EMAIL_BACKEND.endswith(".OutboxBackend"),
        "site_name": text.name,
        "site_description": text.description,
        "site_contact_email": identity.contact_email,
        "interface_language": language,
        "interface_direction": language_direction(language),
        "language_choices": [
            {
                "code": code,
                "name": native_language_name(code),
                "direction": language_direction(code),
                "url": reverse("federation:switch_language", args=[code]) + "?" + urlencode({"next": next_path}),
                "current": code == language,
            }
            for code in identity.offered_languages
        ],
    }
