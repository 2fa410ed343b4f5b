"""What a statement shows when its address is shared: a card, and links to share it.

Messaging apps and social sites read the page's Open Graph and Twitter tags and fetch the share
image (``share_image``) once per address. The image's address carries a digest of what the card
says (``?v=``), so a new revision or a new count band is a new address they fetch afresh, while an
unchanged card keeps its address and its copies in every cache. The count is shown in bands (see
``signatures_band``) for the same reason: the card changes, and is drawn, a few times per tenfold
growth, not with every signature.

The share links are plain links to each service's own share page, built here with the page's
address and title in their query; the page loads nothing from those services.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from undersigned.core.caching import cached
from undersigned.core.languages import language_direction
from undersigned.federation.selectors import federation_identity
from undersigned.statements.embeds import count_for_people, in_text_language
from undersigned.statements.models import Statement
from undersigned.statements.presentation import issuing_body_name, signature_state
from undersigned.statements.selectors import PublishedText
from undersigned.statements.share_image import DRAWING_VERSION, HEIGHT, WIDTH, Card, draw_card

# Counts up to this are shown exactly; above it, in bands of one significant digit.
EXACT_UP_TO = 100
# A drawn card is kept this long in the shared cache; a card that changed has another key.
IMAGE_CACHE_SECONDS = 7 * 24 * 3600
# How long anyone may keep the image: a day at the address with the current digest (what the page
# names, and what no longer changes), ten minutes at any other (the bare address, an old digest).
IMAGE_MAX_AGE_CURRENT = 24 * 3600
IMAGE_MAX_AGE_OTHER = 600


def signatures_band(total: int) -> tuple[int, bool]:
    """The number the card shows for ``total`` confirmed signatures, and whether it is exact.

    Exact up to ``EXACT_UP_TO``; above it, the largest number of one significant digit below the
    count (``"more than 900"`` for 1,000, ``"more than 1,000"`` for 1,001 to 2,000), which stays
    true and changes nine times per tenfold growth.
    """
    if total <= EXACT_UP_TO:
        return total, True
    below = total - 1
    unit = 10 ** (len(str(below)) - 1)
    return below // unit * unit, False


def count_line(total: int, state: str) -> str:
    """The card's line about the count, in the active language."""
    band, exact = signatures_band(total)
    shown = count_for_people(band)
    if band == 0:
        return gettext("Sign this statement") if state == "open" else ""
    if exact:
        return ngettext("%(count)s signature", "%(count)s signatures", band) % {"count": shown}
    return ngettext("More than %(count)s signature", "More than %(count)s signatures", band) % {"count": shown}


@dataclass(frozen=True)
class ShareCard:
    statement_slug: str
    card: Card

    @property
    def digest(self) -> str:
        """Changes with every word of the card and with the drawing code, nothing else."""
        parts = [str(DRAWING_VERSION), self.statement_slug, *asdict(self.card).values()]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]

    @property
    def path(self) -> str:
        """The image's address, with the digest that names this card."""
        path = reverse("statements:share_image", args=[self.statement_slug, self.card.language])
        return f"{path}?v={self.digest}"

    @property
    def alt(self) -> str:
        card = self.card
        title = card.title if card.title[-1:] in ".!?؟。" else card.title + "."
        with in_text_language(card.language, federation_identity().default_language):
            issued = gettext("Issued by %(body)s") % {"body": card.issuing_body} + "."
        return " ".join(part for part in (title, issued, card.count_line) if part)


def share_card(statement: Statement, text: PublishedText, *, total: int) -> ShareCard:
    """The card of ``text``, all in its language: the words around the title in the site's
    catalogue for it, else in the federation's default language."""
    identity = federation_identity()
    with in_text_language(text.language, identity.default_language):
        line = count_line(total, signature_state(statement))
    body = issuing_body_name(statement.commission, text.language)
    site_name = identity.text_in(text.language).name
    if site_name == body:  # the federation issued it: name where the card leads instead
        site_name = urlsplit(settings.SITE_URL).hostname or site_name
    return ShareCard(
        statement_slug=statement.slug,
        card=Card(
            language=text.language,
            direction=language_direction(text.language),
            title=" ".join(text.revision.title.split()),
            issuing_body=body,
            count_line=line,
            site_name=site_name,
        ),
    )


def share_image_png(share: ShareCard) -> bytes:
    """The card's PNG, drawn once per card and kept in the shared cache (every app server)."""
    return cached(f"share-image:{share.digest}", IMAGE_CACHE_SECONDS, lambda: draw_card(share.card))


def image_max_age(share: ShareCard, requested_digest: str | None) -> int:
    return IMAGE_MAX_AGE_CURRENT if requested_digest == share.digest else IMAGE_MAX_AGE_OTHER


# --- Share links -------------------------------------------------------------------------------------
# Signal has no address that opens it with a message to send: signal.me and its sgnl:// scheme only
# open a chat with a person or a group (signalapp/Signal-Android#7310, closed; share-button
# collections leave Signal out for that reason). Signal users share the link itself, which the page
# offers to copy (a read-only field, no script needed), or through their phone's share menu.


@dataclass(frozen=True)
class ShareLink:
    name: str  # shown: the service's name
    label: str  # read by screen readers: what the link does
    href: str


def _query(values: dict[str, str]) -> str:
    return urlencode(values, quote_via=quote)  # %20 for spaces: mail programs read no "+"


def share_links(*, url: str, title: str) -> list[ShareLink]:
    """Links that open each service's page for sharing ``url``, with ``title`` as the message.
    Names and labels in the active language."""
    message = f"{title} {url}"
    services = [
        ("WhatsApp", "https://wa.me/?" + _query({"text": message})),
        ("Telegram", "https://t.me/share/url?" + _query({"url": url, "text": title})),
        ("X", "https://x.com/intent/post?" + _query({"text": title, "url": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + _query({"u": url})),
    ]
    email = ShareLink(
        name=gettext("Email"),
        label=gettext("Share by email"),
        href="mailto:?" + _query({"subject": title, "body": f"{title}\n\n{url}"}),
    )
    return [
        email,
        *(
            ShareLink(name=name, label=gettext("Share on %(service)s") % {"service": name}, href=href)
            for name, href in services
        ),
    ]


@dataclass(frozen=True)
class PageShare:
    """What the statement page needs for its tags and its share block."""

    url: str
    title: str
    image_url: str
    image_alt: str
    image_width: int
    image_height: int
    links: list[ShareLink]


def page_share(statement: Statement, text: PublishedText, *, total: int, page_url: str, site_root: str) -> PageShare:
    """``page_url``: the text's canonical address; ``site_root``: the absolute root the image's
    address is built on (Open Graph wants absolute addresses)."""
    share = share_card(statement, text, total=total)
    title = share.card.title
    return PageShare(
        url=page_url,
        title=title,
        image_url=site_root.rstrip("/") + share.path,
        image_alt=share.alt,
        image_width=WIDTH,
        image_height=HEIGHT,
        links=share_links(url=page_url, title=title),
    )
