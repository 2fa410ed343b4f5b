"""Public pages leave the app compressed; nothing else does.

A statement page is about 25 kB of HTML (30 kB in Arabic) and about 6 kB gzipped: on a slow phone
network that is most of its first visit. So the app compresses the pages it marks for shared
caches (``core.public_pages``), whoever serves them: gunicorn alone (the one-process deployment)
or nginx in front (deploy/nginx/undersigned.conf caches the compressed copy as it is, and does not
compress what comes from the app itself).

Why only those: a compressed answer's length tells something about its content, and an attacker
who can make a victim's browser send requests with text of theirs, and see the lengths go by, can
guess a secret in the answer a character at a time (BREACH). A page marked ``public`` is the same
for every visitor, with no session, no cookie set and no CSRF token (``PrivateResponsesMiddleware``
takes the mark off any answer that is per visitor), so it holds no secret to guess. Staff and
member pages (sessions, CSRF tokens, keys shown once), answers behind personal links and answers
to the public forms (which repeat what was typed) are never marked, so never compressed.
Static files are compressed ahead of time by WhiteNoise (``collectstatic``), not here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import cc_delim_re

# Pages only. The JSON API, the feeds and the count badge stay as they are: small, fetched by
# programs and other sites' caches, and documented to vary by nothing but their language.
COMPRESSED_TYPES = frozenset({"text/html"})


def is_shared(response: HttpResponseBase) -> bool:
    """Marked for shared caches: ``public``, and neither ``private`` nor ``no-store``."""
    directives = {
        directive.split("=", 1)[0].strip().lower() for directive in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return "public" in directives and not directives & {"private", "no-store"}


class PublicPagesGZipMiddleware(GZipMiddleware):
    """Django's gzip, for answers that are the same for every visitor (see the module's docstring).

    Outside ``PrivateResponsesMiddleware``, so that it sees the final ``Cache-Control``; inside
    WhiteNoise, whose static files never reach it."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if response.streaming or content_type not in COMPRESSED_TYPES or not is_shared(response):
            return response
        return super().process_response(request, response)
