"""Serving stored photos of actions. As for logos, a photo's address is the SHA-256 of its image, so
what an address names never changes. Unlike a logo, a photo may have to disappear: an editor blurs
or removes one that shows a face, and the old address then answers "not found". So browsers and
caches (nginx's included) keep a photo for an hour at most and check its ETag after that, rather
than for a year: a takedown reaches every reader within the hour."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from undersigned.actions.models import ActionPhoto, SolidarityAction
from undersigned.organisations.logo_views import LOGO_NAME as SHA256_NAME

PHOTO_MAX_AGE_SECONDS = 3600
SERVED_STATUSES = (SolidarityAction.Status.APPROVED, SolidarityAction.Status.AWAITING_MODERATION)


@require_safe
def action_photo(request: HttpRequest, sha256: str) -> HttpResponse:
    # Anything that cannot be a name is refused before it reaches the database.
    if not SHA256_NAME.fullmatch(sha256):
        raise Http404
    # Only a photo of an action shown, or waiting for the editors, is served: not one of a report
    # nobody has confirmed, nor of one rejected or withdrawn.
    shown = SolidarityAction.objects.filter(photo_id=OuterRef("pk"), status__in=SERVED_STATUSES)
    image = ActionPhoto.objects.filter(Exists(shown), pk=sha256).values_list("image", flat=True).first()
    if image is None:
        raise Http404
    response = HttpResponse(bytes(image), content_type="image/webp")
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE_SECONDS}"
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return get_conditional_response(request, etag=response.headers["ETag"], response=response) or response
