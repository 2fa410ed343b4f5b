"""Laying out the signed statement as a PDF with WeasyPrint, from our own template.

The names are the bulk of a big statement. WeasyPrint lays out every box it is given, and its time
grows with the number of boxes, so the names are not one element each: they are set as runs of
text across the whole line, sixty names to a paragraph (WeasyPrint breaks a paragraph's lines by
laying out what remains of it, so long paragraphs cost more than their length), with no CSS
columns (which it balances by laying out again) and no table; each name is kept on one line with
no-break spaces and isolated for the bidirectional algorithm (an Arabic name in an English list, or the
reverse, keeps its own order). See ``benchmarks/pdf.py`` for what this costs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

import segno
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_countries import countries

from undersigned.exports.selectors import PublicName, SignedStatement

logger = logging.getLogger(__name__)
# WeasyPrint logs each step and page at INFO: for a big statement, hundreds of lines per build in
# the worker's log. Our own progress (``Progress``) says what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
NAMES_PER_PARAGRAPH = 60
# First strong isolate ... pop directional isolate: each name is laid out in its own direction.
FSI, PDI, NBSP = "\u2068", "\u2069", "\u00a0"
SEPARATOR = " · "

Progress = Callable[[str], None]


@dataclass(frozen=True)
class NameGroup:
    code: str
    name: str
    count: int
    paragraphs: list[SafeString]


def _paragraphs(names: list[PublicName]) -> Iterator[SafeString]:
    for start in range(0, len(names), NAMES_PER_PARAGRAPH):
        chunk = names[start : start + NAMES_PER_PARAGRAPH]
        # Escaped here, then marked safe: the template would otherwise escape 100,000 strings one by one.
        yield mark_safe(  # noqa: S308  (every name is escaped on this line)
            SEPARATOR.join(FSI + escape(" ".join(item.name.split())).replace(" ", NBSP) + PDI for item in chunk)
        )


def name_groups(names: list[PublicName]) -> list[NameGroup]:
    """The names by country (named in the active language, sorted by that name; no country last),
    each country's in the order they were confirmed."""
    labelled = sorted(
        ((str(countries.name(item.country)) if item.country else "", index, item) for index, item in enumerate(names)),
        key=lambda row: (row[0] == "", row[0], row[1]),
    )
    groups = []
    for label, rows in groupby(labelled, key=lambda row: row[0]):
        members = [row[2] for row in rows]
        groups.append(
            NameGroup(
                code=members[0].country,
                name=label or _("Country not given"),
                count=len(members),
                paragraphs=list(_paragraphs(members)),
            )
        )
    return groups


def qr_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def _page_counter_css(language: str) -> str:
    """'Page X of Y' as CSS ``content``, in ``language``, for the page's bottom margin box."""
    with override(language):
        sentence = _("Page %(page)s of %(pages)s")
    quoted = sentence.replace("\\", "\\\\").replace('"', '\\"')
    quoted = quoted.replace("%(page)s", '" counter(page) "').replace("%(pages)s", '" counter(pages) "')
    return f'"{quoted}"'


def signed_statement_html(data: SignedStatement, *, paper: str) -> str:
    with override(data.language):
        return render_to_string(
            "exports/signed_statement.html",
            {
                "data": data,
                "paper": PAPER_SIZES.get(paper, "A4"),
                "page_counter": mark_safe(_page_counter_css(data.language)),  # noqa: S308  (quoted above)
                "name_groups": name_groups(data.names),
                "qr": qr_data_uri(data.transparency_url),
            },
        )


def render_pdf(data: SignedStatement, *, paper: str, progress: Progress | None = None) -> bytes:
    """The PDF of ``data`` on ``paper`` ("a4" or "letter")."""
    # Imported here: WeasyPrint loads Pango and its fonts, which only the builders need.
    # Importing it sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would make the logo
    # check (organisations.logos) accept damaged files in this process: put it back. Our document
    # holds no image but the QR code we make.
    from PIL import ImageFile

    load_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = load_truncated

    say = progress or (lambda _message: None)
    say(f"laying out {len(data.names)} public names and {data.organisations} organisations")
    html = signed_statement_html(data, paper=paper)
    document = HTML(string=html, base_url=None).render()
    say(f"writing {len(document.pages)} pages")
    pdf = document.write_pdf()
    if pdf is None:  # write_pdf returns bytes when given no target
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
