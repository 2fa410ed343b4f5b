"""Markdown to safe HTML: markdown-it-py (CommonMark, raw HTML off) then nh3 as the last word.

The typographer is off: what the author typed (curly or straight quotes, dashes, non-breaking
spaces) is what the reader gets, so the output is stable from one version of the renderer to the next.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from undersigned.core import process_caches

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "code",
    "pre",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


@process_caches.register_function(never_stale="the parser and its settings, no data")
@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


# Revisions never change, so their HTML is rendered once per process: the hot statement page then
# costs no Markdown work.
_REVISION_HTML: OrderedDict[str, SafeString] = OrderedDict()
_REVISION_HTML_SIZE = 512
process_caches.register(
    __name__,
    "_REVISION_HTML",
    clear=_REVISION_HTML.clear,
    never_stale="keyed by the revision's SHA-256, which covers the Markdown it renders",
)


def render_revision_body(sha256: str, body: str) -> SafeString:
    """``body`` rendered, remembered under its revision's ``sha256`` (which covers the body)."""
    html = _REVISION_HTML.get(sha256)
    if html is None:
        html = render_markdown(body)
        _REVISION_HTML[sha256] = html
        if len(_REVISION_HTML) > _REVISION_HTML_SIZE:
            _REVISION_HTML.popitem(last=False)
    return html


def render_markdown(source: str) -> SafeString:
    html = _markdown().render(source)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308  (sanitised by nh3 just above)
