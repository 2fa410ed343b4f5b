"""A statement shared in a messaging app: its card (tags and image) and the page's share links."""

from __future__ import annotations

import io
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import checks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from undersigned.signatures.tallies import tally_change, tally_for_statement
from undersigned.statements import share_image, sharing
from undersigned.statements.importer import parse_press_release
from undersigned.statements.models import Statement
from undersigned.statements.selectors import published_texts
from undersigned.statements.services import (
    TextInput,
    statement_import,
    statement_publish,
    text_publish,
    text_save,
    translation_add,
)
from undersigned.statements.share_image import CONTENT_WIDTH, HEIGHT, TITLE_BOTTOM, TITLE_TOP, WIDTH, Card
from undersigned.statements.sharing import signatures_band
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import ARABIC, PRESS_RELEASE

pytestmark = pytest.mark.django_db

SLUG = "library-opening-hours"
TITLES = {
    "en": "Statement on Library Opening Hours",
    "fr": "Déclaration sur les horaires des bibliothèques",
    "ar": "بيان بشأن ساعات عمل المكتبات العامة",
}


@pytest.fixture
def statement(libraries) -> Statement:
    return published_statement(libraries, translations=("fr", "ar"))


class PageTags(HTMLParser):
    def __init__(self, content: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.sources: list[str] = []
        self.inputs: list[dict[str, str]] = []
        self.feed(content)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "a":
            self.links.append(values)
        elif tag == "input":
            self.inputs.append(values)
        if tag in {"script", "img", "iframe"} and values.get("src"):
            self.sources.append(values["src"])


def page_tags(client, language: str) -> PageTags:
    response = client.get(f"/statements/{SLUG}/{language}/")
    assert response.status_code == 200
    return PageTags(response.content.decode())


def set_count(statement: Statement, total: int) -> None:
    """The confirmed count, as the signatures' counters hold it (read afresh into the tally's cache)."""
    tally_change(statement_id=statement.pk, country="FR", delta=total - tally_for_statement(statement.pk).total)
    assert tally_for_statement(statement.pk, fresh=True).total == total


def png(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    return image


# --- The tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_each_text_names_its_own_card_with_an_absolute_address(client, statement, language):
    tags = page_tags(client, language).meta
    image_url = tags["og:image"]
    parts = urlsplit(image_url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "http",
        "testserver",
        f"/statements/{SLUG}/{language}/share.png",
    )
    assert parse_qs(parts.query)["v"][0]
    assert tags["og:image:width"] == "1200" and tags["og:image:height"] == "630"
    assert tags["og:image:type"] == "image/png"
    assert TITLES[language] in tags["og:image:alt"]
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == image_url
    assert tags["og:url"] == f"http://testserver/statements/{SLUG}/{language}/"

    response = client.get(image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Language"] == language


def test_the_card_is_a_1200_by_630_png(client, statement):
    response = client.get(f"/statements/{SLUG}/en/share.png")
    image = png(response.content)
    assert image.size == (WIDTH, HEIGHT) == (1200, 630)
    image.verify()
    assert len(response.content) < 300_000  # what WhatsApp still shows


def test_the_card_says_the_title_body_count_and_site_in_the_texts_language(statement):
    set_count(statement, 1234)
    french = next(text for text in published_texts(statement) if text.language == "fr")
    card = sharing.share_card(statement, french, total=1234).card
    assert card.title == TITLES["fr"]
    assert card.issuing_body == "Commission des bibliothèques publiques"
    assert card.count_line == "Plus de 1\xa0000 signatures"
    assert card.site_name == "Example Federation"
    assert card.direction == "ltr"
    arabic = next(text for text in published_texts(statement) if text.language == "ar")
    card = sharing.share_card(statement, arabic, total=7).card
    assert card.direction == "rtl"
    assert card.count_line == "7 توقيعات"


def test_a_statement_the_federation_issues_names_the_sites_address_under_its_name(site):
    statement = statement_import(actor=None, commission=None, slug=SLUG, language="en", source=PRESS_RELEASE)
    statement = statement_publish(actor=None, statement=statement)
    (text,) = published_texts(statement)
    card = sharing.share_card(statement, text, total=0).card
    assert card.issuing_body == "Example Federation"
    assert card.site_name == "testserver"  # SITE_URL's host
    assert card.count_line == "Sign this statement"


# --- Count bands and the cache ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, (0, True)),
        (1, (1, True)),
        (99, (99, True)),
        (100, (100, True)),
        (101, (100, False)),
        (1000, (900, False)),
        (1001, (1000, False)),
        (1999, (1000, False)),
        (2001, (2000, False)),
        (123_456, (100_000, False)),
        (2_500_001, (2_000_000, False)),
    ],
)
def test_counts_are_exact_up_to_a_hundred_then_in_bands_below_them(total, band):
    assert signatures_band(total) == band


@given(st.integers(min_value=0, max_value=10**10))
def test_a_band_never_claims_more_than_the_count(total):
    band, exact = signatures_band(total)
    assert band == total if exact else band < total
    assert exact == (total <= 100)
    if not exact:
        digits = str(band).rstrip("0")
        assert band >= 100 and len(digits) == 1  # one significant digit
        assert total <= band + 10 ** (len(str(band)) - 1)  # the next band up would be untrue


def test_the_same_band_answers_the_same_bytes_drawn_once(client, statement, monkeypatch):
    drawn: list[Card] = []

    def counting(card: Card) -> bytes:
        drawn.append(card)
        return share_image.draw_card(card)

    monkeypatch.setattr(sharing, "draw_card", counting)
    address = f"/statements/{SLUG}/en/share.png"
    set_count(statement, 1500)
    first = client.get(address)
    set_count(statement, 1700)
    second = client.get(address)
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert len(drawn) == 1
    assert drawn[0].count_line == "More than 1,000 signatures"

    set_count(statement, 2100)
    third = client.get(address)
    assert third["ETag"] != first["ETag"] and third.content != first.content
    assert [card.count_line for card in drawn] == ["More than 1,000 signatures", "More than 2,000 signatures"]

    # The page names the new card by a new address, so apps that keep the old one fetch it again.
    assert parse_qs(urlsplit(page_tags(client, "en").meta["og:image"]).query)["v"] == [third["ETag"].strip('"')]


def test_a_new_revision_is_a_new_card(client, statement):
    address = f"/statements/{SLUG}/en/share.png"
    before = client.get(address)
    image_before = page_tags(client, "en").meta["og:image"]
    text = statement.texts.get(language="en")
    text.statement = statement
    edited = TextInput(
        title="Statement on Library Opening Hours in Winter",
        body=text.body,
        dateline_date=text.dateline_date,
        headline_calls=text.headline_calls,
        call_to_action=text.call_to_action,
    )
    text = text_save(actor=None, text=text, values=edited)
    text.statement = statement
    text_publish(actor=None, text=text, change_note="Names the season.")
    after = client.get(address)
    assert after["ETag"] != before["ETag"] and after.content != before.content
    assert page_tags(client, "en").meta["og:image"] != image_before
    # The other languages keep their cards.
    assert (
        client.get(f"/statements/{SLUG}/fr/share.png")["ETag"] == client.get(f"/statements/{SLUG}/fr/share.png")["ETag"]
    )


def test_caches_may_keep_the_card_and_revalidate_it(client, statement):
    address = f"/statements/{SLUG}/en/share.png"
    bare = client.get(address)
    assert "public" in bare["Cache-Control"] and f"max-age={sharing.IMAGE_MAX_AGE_OTHER}" in bare["Cache-Control"]
    named = client.get(urlsplit(page_tags(client, "en").meta["og:image"]).path + "?v=" + bare["ETag"].strip('"'))
    assert f"max-age={sharing.IMAGE_MAX_AGE_CURRENT}" in named["Cache-Control"]
    old = client.get(address + "?v=0123456789")
    assert f"max-age={sharing.IMAGE_MAX_AGE_OTHER}" in old["Cache-Control"]
    assert "Set-Cookie" not in bare and "Accept-Language" not in bare.get("Vary", "")
    again = client.get(address, headers={"if-none-match": bare["ETag"]})
    assert again.status_code == 304 and not again.content
    assert client.head(address).status_code == 200


# --- What is not public, and addresses that name nothing ---------------------------------------------


def test_a_draft_has_no_card(client, libraries):
    statement_import(actor=None, commission=libraries, slug=SLUG, language="en", source=PRESS_RELEASE)
    assert client.get(f"/statements/{SLUG}/en/share.png").status_code == 404


def test_an_unpublished_translation_has_no_card(client, libraries):
    statement = published_statement(libraries, translations=())
    parsed = parse_press_release(ARABIC, language="ar")
    translation_add(actor=None, statement=statement, language="ar", text=TextInput.from_parsed(parsed))
    assert client.get(f"/statements/{SLUG}/ar/").status_code == 404
    assert client.get(f"/statements/{SLUG}/ar/share.png").status_code == 404
    assert client.get(f"/statements/{SLUG}/en/share.png").status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        f"/statements/{SLUG}/xx/share.png",
        f"/statements/{SLUG}/EN/share.png",
        f"/statements/{SLUG}/en%00/share.png",
        f"/statements/{SLUG}/{'e' * 5000}/share.png",
        f"/statements/{SLUG}/%D8%B9/share.png",
        "/statements/no-such-statement/en/share.png",
        "/statements/%E2%80%AE%00/en/share.png",
        f"/statements/{SLUG}/en/share.png/",
        f"/statements/{SLUG}/../en/share.png",
    ],
)
def test_addresses_that_name_no_published_text_are_not_found(client, statement, address):
    assert client.get(address).status_code == 404


# --- The share links --------------------------------------------------------------------------------


def share_hrefs(tags: PageTags) -> dict[str, str]:
    return {link["aria-label"]: link["href"] for link in tags.links if "noopener" in link.get("rel", "")}


def test_share_links_carry_the_canonical_address_and_title_encoded(client, statement):
    for language in ("en", "ar"):
        tags = page_tags(client, language)
        url = f"http://testserver/statements/{SLUG}/{language}/"
        title = TITLES[language]
        links = share_hrefs(tags)
        assert set(links) == {
            "Share by email",
            "Share on WhatsApp",
            "Share on Telegram",
            "Share on X",
            "Share on Facebook",
        }
        for href in links.values():
            assert " " not in href and "\n" not in href
            assert title not in href  # only in its encoded form
        mail = urlsplit(links["Share by email"])
        assert mail.scheme == "mailto" and mail.path == ""
        assert "+" not in mail.query  # mail programs would show a plus sign for a space
        assert parse_qs(mail.query) == {"subject": [title], "body": [f"{title}\n\n{url}"]}
        assert parse_qs(urlsplit(links["Share on WhatsApp"]).query) == {"text": [f"{title} {url}"]}
        telegram = urlsplit(links["Share on Telegram"])
        assert (telegram.netloc, telegram.path) == ("t.me", "/share/url")
        assert parse_qs(telegram.query) == {"url": [url], "text": [title]}
        x = urlsplit(links["Share on X"])
        assert (x.netloc, x.path, parse_qs(x.query)) == ("x.com", "/intent/post", {"text": [title], "url": [url]})
        facebook = urlsplit(links["Share on Facebook"])
        assert (facebook.netloc, parse_qs(facebook.query)) == ("www.facebook.com", {"u": [url]})
        for link in tags.links:
            if link["href"].startswith(("https://wa.me", "https://t.me", "https://x.com", "https://www.facebook")):
                assert link["rel"].split()[:2] == ["noopener", "noreferrer"]
        # The address to copy (for Signal and any other app) works without a script.
        (field,) = [field for field in tags.inputs if field.get("id") == "share-address"]
        assert field["value"] == url and "readonly" in field
        # Nothing on the page comes from another site.
        assert all(source.startswith("/") and not source.startswith("//") for source in tags.sources)


def test_the_share_block_speaks_the_readers_language(client, statement):
    content = client.get(f"/statements/{SLUG}/en/", headers={"accept-language": "fr"}).content.decode()
    assert "Partager cette déclaration" in content
    assert "Partager sur WhatsApp" in content
    assert ">E-mail</a>" in content


# --- The drawing --------------------------------------------------------------------------------------

# Two Arabic words without dots whose letters all join: shaped, each is one connected shape;
# unshaped, each letter stands alone. The first (read first, so drawn rightmost) is the narrower.
SHORT_WORD, LONG_WORD = "عمل", "مسلسل"


def ink_shapes(image: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """The connected shapes of dark ink inside ``box`` (left, top, right, bottom), as bounding boxes."""
    grey = image.convert("L").crop(box)
    width, height = grey.size
    data = grey.tobytes()

    def dark(x: int, y: int) -> bool:
        return data[y * width + x] <= 128

    seen = [[False] * width for _ in range(height)]
    shapes = []
    for y in range(height):
        for x in range(width):
            if seen[y][x] or not dark(x, y):
                continue
            seen[y][x] = True
            queue = deque([(x, y)])
            left, top, right, bottom = x, y, x, y
            while queue:
                px, py = queue.popleft()
                left, top, right, bottom = min(left, px), min(top, py), max(right, px), max(bottom, py)
                for nx, ny in ((px + 1, py), (px - 1, py), (px, py + 1), (px, py - 1)):
                    if 0 <= nx < width and 0 <= ny < height and not seen[ny][nx] and dark(nx, ny):
                        seen[ny][nx] = True
                        queue.append((nx, ny))
            shapes.append((left + box[0], top + box[1], right + box[0], bottom + box[1]))
    return shapes


def arabic_card(title: str) -> Image.Image:
    card = Card("ar", "rtl", title, "لجنة المكتبات العامة", "7 توقيعات", "Example Federation")
    return png(share_image.draw_card(card))


def test_an_arabic_title_is_shaped_and_drawn_right_to_left():
    assert share_image.has_complex_layout(), "Pillow lacks libraqm or FriBiDi: install libfribidi0"
    image = arabic_card(f"{SHORT_WORD} {LONG_WORD}")
    shapes = ink_shapes(image, (0, TITLE_TOP, WIDTH - share_image.BAR, TITLE_BOTTOM))
    # Shaped: one joined shape per word (unshaped, the eight letters would stand apart).
    assert len(shapes) == 2, shapes
    right, left = sorted(shapes, key=lambda shape: -shape[2])
    # Right to left: the first word is at the right, flush with the margin; the second follows it.
    margin = WIDTH - share_image.BAR - share_image.MARGIN
    assert margin - 8 <= right[2] <= margin + 4
    assert right[2] - right[0] < left[2] - left[0]
    assert left[2] < right[0]
    assert left[0] > WIDTH / 3  # a short title does not reach the left side

    # The same words laid out by Pillow's basic engine (no shaping, no bidi) look otherwise.
    font = share_image.font_for(SHORT_WORD, 80, share_image.BOLD)
    basic = ImageFont.truetype(font.path, 80, layout_engine=ImageFont.Layout.BASIC)
    unshaped = Image.new("RGB", (WIDTH, 200), "white")
    ImageDraw.Draw(unshaped).text((20, 150), f"{SHORT_WORD} {LONG_WORD}", font=basic, fill="black", anchor="ls")
    # (about one shape per letter: eight, less any two letters that happen to touch)
    assert len(ink_shapes(unshaped, (0, 0, WIDTH, 200))) >= 6


def test_the_real_arabic_text_starts_at_the_right(client, statement):
    image = png(client.get(f"/statements/{SLUG}/ar/share.png").content).convert("RGB")
    grey = image.convert("L").crop((0, TITLE_TOP, WIDTH - share_image.BAR, TITLE_BOTTOM))
    ink = grey.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert ink is not None
    left, _top, right, _bottom = ink
    margin = WIDTH - share_image.BAR - share_image.MARGIN
    assert margin - 10 <= right <= margin + 4
    assert left >= share_image.MARGIN - 10  # and it ends before the far margin
    # The accent bar is on the right too, where a right-to-left reader starts.
    assert image.getpixel((WIDTH - 5, 300)) == image.getpixel((WIDTH - 5, 10)) != (255, 255, 255)
    assert image.getpixel((5, 300)) == (255, 255, 255)


def test_a_long_title_gets_smaller_then_ends_in_an_ellipsis():
    long_title = " ".join(["Statement on Seasonal Workers' Housing and Decent Farm Camps"] * 10)
    lines = share_image.card_lines(Card("en", "ltr", long_title, "Commission", "42 signatures", "Example"))
    title_lines = [item for item in lines if TITLE_TOP <= item.baseline <= TITLE_BOTTOM]
    assert title_lines[-1].text.endswith("…")
    assert title_lines[0].line.font.size == min(share_image.TITLE_SIZES)
    assert all(item.line.width(item.text) <= CONTENT_WIDTH for item in lines)
    short = share_image.card_lines(Card("en", "ltr", "Libraries", "Commission", "", "Example"))
    assert max(item.line.font.size for item in short) == max(share_image.TITLE_SIZES)


def test_a_mixed_title_is_drawn_in_a_font_that_has_all_its_letters():
    face = share_image.face_for("بيان بشأن COVID-19", share_image.BOLD)
    assert face is not None
    assert all(face.covers(character) for character in "بيانشأCOVID-19")
    assert share_image.face_for("Opening Hours", share_image.BOLD).family == "Noto Sans"
    assert share_image.face_for("ساعات عمل المكتبات", share_image.BOLD).family == "Noto Sans Arabic"


def test_without_complex_layout_the_site_warns_and_leaves_out_arabic_lines(monkeypatch):
    monkeypatch.setattr(share_image, "has_complex_layout", lambda: False)
    share_image._font.cache_clear()
    try:
        (warning,) = share_image.check_complex_layout()
        assert warning.id == "statements.W001" and warning.level == checks.WARNING
        card = Card("ar", "rtl", "بيان", "لجنة", "7 توقيعات", "Example Federation")
        assert [item.text for item in share_image.card_lines(card)] == ["Example Federation"]
        assert png(share_image.draw_card(card)).size == (WIDTH, HEIGHT)
    finally:
        share_image._font.cache_clear()
    monkeypatch.undo()
    assert share_image.check_complex_layout() == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(min_size=1, max_size=300).filter(str.strip),
    body=st.text(max_size=200),
    direction=st.sampled_from(["ltr", "rtl"]),
)
def test_any_title_makes_a_card(title, body, direction):
    card = Card("ar" if direction == "rtl" else "en", direction, title, body, "More than 100 signatures", "Example")
    image = png(share_image.draw_card(card))
    assert image.size == (WIDTH, HEIGHT)
    assert all(item.line.width(item.text) <= CONTENT_WIDTH for item in share_image.card_lines(card))
