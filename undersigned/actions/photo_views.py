"""Serving stored photos of actions. As for logos, a photo's address is the SHA-256 of its image, so
what an address names never changes and browsers and proxies may keep it for a year without asking
again. A photo an editor blurred or removed is deleted, and its address then answers "not found"."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from undersigned.actions.models import ActionPhoto
from undersigned.organisations.logo_views import LOGO_NAME as SHA256_NAME


@require_safe
def action_photo(request: HttpRequest, sha256: str) -> HttpResponse:
    # Anything that cannot be a name is refused before it reaches the database.
    if not SHA256_NAME.fullmatch(sha256):
        raise Http404
    image = ActionPhoto.objects.filter(pk=sha256).values_list("image", flat=True).first()
    if image is None:
        raise Http404
    response = HttpResponse(bytes(image), content_type="image/webp")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return get_conditional_response(request, etag=response.headers["ETag"], response=response) or response
