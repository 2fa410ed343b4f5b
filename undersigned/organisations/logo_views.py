"""Serving stored logos. A logo's address is the SHA-256 of its image, so what an address names never
changes and browsers and proxies may keep it for a year without asking again. The address has no
extension: a logo is a WebP, or a PNG if it was stored before logos were WebP; the old addresses,
ending in ``.png``, still answer."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from undersigned.organisations.logos import PNG_SIGNATURE
from undersigned.organisations.models import Logo

LOGO_NAME = re.compile(r"[0-9a-f]{64}")


@require_safe
def logo(request: HttpRequest, sha256: str) -> HttpResponse:
    # Anything that cannot be a name is refused before it reaches the database.
    if not LOGO_NAME.fullmatch(sha256):
        raise Http404
    image = Logo.objects.filter(pk=sha256).values_list("image", flat=True).first()
    if image is None:
        raise Http404
    image = bytes(image)
    content_type = "image/png" if image.startswith(PNG_SIGNATURE) else "image/webp"
    response = HttpResponse(image, content_type=content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Answers If-None-Match with a 304 that keeps the ETag and Cache-Control headers.
    return get_conditional_response(request, etag=response.headers["ETag"], response=response) or response
