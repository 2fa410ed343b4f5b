"""The share card: the 1200×630 PNG that messaging apps and social sites show beside a shared link.

Drawn with Pillow from plain values, in the text's script and direction. Shaping (Arabic letters
joined, Indic clusters) and right-to-left order need Pillow's libraqm layout, which Pillow's wheels
carry and which loads Debian's ``libfribidi0`` when the process starts; without it the system check
``statements.W001`` warns, and the card leaves out every line it could only draw wrongly.

Fonts come from fontconfig (``fc-list``): for each line, the first family in the order of the
site's stylesheet (Noto Sans, a Noto Sans of the line's script, DejaVu Sans, any other) whose
character set covers the whole line, so an Arabic title with a Latin name in it is not drawn with
empty boxes. Debian's ``fonts-noto-core`` and ``fonts-dejavu-core`` cover Latin, Greek, Cyrillic,
Arabic, Hebrew and the Indic scripts; Chinese, Japanese and Korean need ``fonts-noto-cjk``.
"""

from __future__ import annotations

import bisect
import io
import shutil
import subprocess  # nosec B404 (fc-list, a fixed command)
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.core import checks
from PIL import Image, ImageDraw, ImageFont, features

from undersigned.core import process_caches

WIDTH = 1200
HEIGHT = 630
# Changes with anything below that changes the drawing, so cached cards of older code are redrawn.
DRAWING_VERSION = 1

PAPER = (255, 255, 255)
INK = (27, 31, 36)
INK_MUTED = (79, 88, 99)
ACCENT = (11, 92, 173)
LINE = (211, 216, 222)

BAR = 20  # the accent bar along the start edge
MARGIN = 80
CONTENT_WIDTH = WIDTH - BAR - 2 * MARGIN
BODY_TOP, BODY_SIZES = 56, (34, 30, 26)
TITLE_TOP, TITLE_BOTTOM = 118, 468
TITLE_SIZES = (80, 72, 64, 58, 52, 46, 42)
RULE_Y = 492
COUNT_BASELINE, COUNT_SIZES = 552, (44, 38, 32)
SITE_BASELINE, SITE_SIZES = 600, (28, 24)

REGULAR, BOLD = 80, 200  # fontconfig's weights
ELLIPSIS = "…"
FALLBACK_FONTS = (  # when fontconfig cannot be asked: Debian's paths
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


@dataclass(frozen=True)
class Card:
    """What the card says, every line already in its words. ``direction`` is the text's: it puts
    the lines at the right or the left; each line keeps its own direction inside (a Latin name in
    an Arabic card reads left to right)."""

    language: str
    direction: str
    title: str
    issuing_body: str
    count_line: str
    site_name: str


def has_complex_layout() -> bool:
    """Whether Pillow can shape text and lay it out in both directions (libraqm with FriBiDi)."""
    return bool(features.check("raqm"))


@checks.register(checks.Tags.compatibility)
def check_complex_layout(**_kwargs: object) -> list[checks.CheckMessage]:
    if has_complex_layout():
        return []
    return [
        checks.Warning(
            "Pillow cannot shape text or lay it out right to left (libraqm or FriBiDi missing).",
            hint="Install Debian's libfribidi0 (apt-get install libfribidi0); share cards of texts in "
            "Arabic and other scripts that need shaping leave those lines out until then.",
            id="statements.W001",
        )
    ]


# --- Fonts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    path: str
    index: int
    family: str
    weight: int
    coverage: tuple[tuple[int, ...], tuple[int, ...]]  # starts and ends of the code point ranges

    def covers(self, character: str) -> bool:
        starts, ends = self.coverage
        position = bisect.bisect_right(starts, ord(character)) - 1
        return position >= 0 and ord(character) <= ends[position]

    @property
    def rank(self) -> tuple[int, str]:
        """The stylesheet's order: Noto Sans, a Noto Sans of one script, DejaVu Sans, the rest."""
        family = self.family
        if family == "Noto Sans":
            return 0, family
        if family.startswith("Noto Sans ") and not any(word in family for word in ("Mono", "Display", "Symbols")):
            return 1, family
        if family == "DejaVu Sans":
            return 2, family
        return (3 if "Sans" in family else 4), family


def _coverage(charset: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    starts, ends = [], []
    for part in charset.split():
        low, _dash, high = part.partition("-")
        starts.append(int(low, 16))
        ends.append(int(high or low, 16))
    return tuple(starts), tuple(ends)


def _listed_faces(listing: str) -> list[Face]:
    faces = []
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) != 8:
            continue
        path, index, family, style, weight, width, spacing, charset = fields
        if spacing in {"90", "100", "110"} or width not in {"", "100"} or "Italic" in style or "Oblique" in style:
            continue  # monospaced, narrowed or widened, and slanted faces
        try:
            faces.append(Face(path, int(index or 0), family.split(",")[0], int(float(weight)), _coverage(charset)))
        except ValueError:  # a variable font's weight range, or anything else unexpected
            continue
    return faces


@process_caches.register_function(
    never_stale="the fonts installed on the machine, listed once per process: installing fonts takes a restart"
)
@lru_cache(maxsize=1)
def installed_faces() -> tuple[Face, ...]:
    """The upright, proportional faces fontconfig knows, each with its character set."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        listing = subprocess.run(  # noqa: S603  (a fixed command)
            [
                fc_list,
                "--format",
                "%{file}\t%{index}\t%{family}\t%{style[0]}\t%{weight}\t%{width}\t%{spacing}\t%{charset}\n",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted(_listed_faces(listing), key=lambda face: face.rank))


def _needs_glyph(character: str) -> bool:
    return not (character.isspace() or unicodedata.category(character) in {"Cc", "Cf"})


def face_for(text: str, weight: int) -> Face | None:
    """The first family (in ``Face.rank`` order) that has a glyph for every character of ``text``,
    in its face nearest ``weight``; else the family that has the most of them."""
    wanted = {character for character in text if _needs_glyph(character)}
    families: dict[str, Face] = {}
    for face in installed_faces():
        known = families.get(face.family)
        if known is None or abs(face.weight - weight) < abs(known.weight - weight):
            families[face.family] = face
    best: Face | None = None
    best_count = -1
    for face in families.values():  # in rank order: dicts keep the order of insertion
        count = sum(1 for character in wanted if face.covers(character))
        if count == len(wanted):
            return face
        if count > best_count:
            best, best_count = face, count
    return best


@process_caches.register_function(never_stale="keyed by a font file's path and a size; fonts change with a restart")
@lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if has_complex_layout() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, index=index, layout_engine=layout)


def font_for(text: str, size: int, weight: int) -> ImageFont.FreeTypeFont:
    face = face_for(text, weight)
    if face is not None:
        return _font(face.path, face.index, size)
    for path in FALLBACK_FONTS[:2] if weight >= BOLD else FALLBACK_FONTS[1::2]:
        if Path(path).exists():
            return _font(path, 0, size)
    return ImageFont.load_default(size)  # type: ignore[return-value]  # a FreeTypeFont with FreeType


# --- Lines ------------------------------------------------------------------------------------------


def line_direction(text: str, default: str) -> str:
    """The direction of the first strong character, as ``dir="auto"`` does; else ``default``."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in {"R", "AL"}:
            return "rtl"
    return default


def needs_complex_layout(text: str) -> bool:
    """Whether ``text`` is drawn wrongly without libraqm: right-to-left letters, or marks that join
    a cluster (Indic scripts) once composed."""
    return any(
        unicodedata.bidirectional(character) in {"R", "AL"} or unicodedata.category(character) in {"Mn", "Mc"}
        for character in unicodedata.normalize("NFC", text)
    )


@dataclass(frozen=True)
class Line:
    text: str
    font: ImageFont.FreeTypeFont
    direction: str
    language: str

    def layout(self) -> dict[str, str]:
        if not has_complex_layout():
            return {}
        return {"direction": self.direction, "language": self.language}

    def width(self, text: str | None = None) -> float:
        return float(self.font.getlength(self.text if text is None else text, **self.layout()))  # type: ignore[arg-type]


def _pieces(word: str) -> list[str]:
    """A word cut between characters, never before a mark that belongs to the one before it."""
    pieces: list[str] = []
    for character in word:
        if pieces and (unicodedata.category(character) in {"Mn", "Mc", "Me"} or character == "\u200d"):
            pieces[-1] += character
        else:
            pieces.append(character)
    return pieces


def wrap(line: Line, width: float) -> list[str]:
    """Greedy wrapping at spaces; a word wider than ``width`` (a script written without spaces, or
    a long address) is cut between its characters."""
    lines: list[str] = []
    current = ""
    for word in line.text.split():
        candidate = f"{current} {word}" if current else word
        if line.width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if line.width(word) <= width:
            current = word
            continue
        for piece in _pieces(word):
            if current and line.width(current + piece) > width:
                lines.append(current)
                current = ""
            current += piece
    if current:
        lines.append(current)
    return lines


def shortened(line: Line, text: str, width: float) -> str:
    """``text`` ending in an ellipsis, cut at a word's end where it can be, to fit ``width``."""
    ellipsis = ELLIPSIS if all(_font_has(line.font, character) for character in ELLIPSIS) else "..."
    if line.width(text) <= width:
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(",;:.-–—،؛") + ellipsis
        if line.width(candidate) <= width:
            return candidate
    pieces = _pieces(text)
    while pieces and line.width("".join(pieces) + ellipsis) > width:
        pieces.pop()
    return "".join(pieces) + ellipsis


def _font_has(font: ImageFont.FreeTypeFont, character: str) -> bool:
    face = next((face for face in installed_faces() if face.path == font.path), None)
    return face is None or face.covers(character)


# --- The card --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    text: str
    line: Line
    baseline: float
    fill: tuple[int, int, int]


def _fitted_line(text: str, sizes: tuple[int, ...], weight: int, card: Card) -> Line | None:
    """One line at the largest size that fits, else the smallest shortened; None when empty or when
    it cannot be drawn right here."""
    text = " ".join(text.split())
    if not text or (needs_complex_layout(text) and not has_complex_layout()):
        return None
    direction = line_direction(text, card.direction)
    for size in sizes:
        line = Line(text, font_for(text, size, weight), direction, card.language)
        if line.width() <= CONTENT_WIDTH:
            return line
    return Line(shortened(line, text, CONTENT_WIDTH), line.font, direction, card.language)


def _line_height(font: ImageFont.FreeTypeFont) -> tuple[float, float]:
    """Line height and the baseline's place in it: the font's own, kept between 1.2 and 1.55 times
    its size (Arabic fonts reserve room for marks that a title seldom needs)."""
    ascent, descent = font.getmetrics()
    natural = ascent + descent
    height = min(max(natural, 1.2 * font.size), 1.55 * font.size)
    return height, height * ascent / natural


def _title_lines(card: Card) -> list[Placed]:
    title = " ".join(card.title.split())
    if not title or (needs_complex_layout(title) and not has_complex_layout()):
        return []
    direction = line_direction(title, card.direction)
    box = TITLE_BOTTOM - TITLE_TOP
    for size in TITLE_SIZES:
        line = Line(title, font_for(title, size, BOLD), direction, card.language)
        height, ascent = _line_height(line.font)
        texts = wrap(line, CONTENT_WIDTH)
        if len(texts) * height <= box:
            break
    else:
        fitting = max(1, int(box // height))
        if len(texts) > fitting:
            texts = [*texts[: fitting - 1], shortened(line, " ".join(texts[fitting - 1 :]), CONTENT_WIDTH)]
    top = TITLE_TOP + (box - len(texts) * height) / 2  # a short title sits in the middle of its room
    return [Placed(text, line, top + ascent + number * height, INK) for number, text in enumerate(texts)]


def card_lines(card: Card) -> list[Placed]:
    placed = []
    body = _fitted_line(card.issuing_body, BODY_SIZES, REGULAR, card)
    if body is not None:
        placed.append(Placed(body.text, body, BODY_TOP + _line_height(body.font)[1], INK_MUTED))
    placed.extend(_title_lines(card))
    count = _fitted_line(card.count_line, COUNT_SIZES, BOLD, card)
    if count is not None:
        placed.append(Placed(count.text, count, COUNT_BASELINE, ACCENT))
    site = _fitted_line(card.site_name, SITE_SIZES, REGULAR, card)
    if site is not None:
        placed.append(Placed(site.text, site, SITE_BASELINE, INK_MUTED))
    return placed


# The fonts are shared by the threads of a process, and a FreeType face is not safe to use from two
# threads at once. Cards are drawn seldom (each once, then cached), so they take turns.
_drawing = threading.Lock()


def draw_card(card: Card) -> bytes:
    """The card as PNG bytes; the same bytes for the same card."""
    with _drawing:
        image = _drawn(card)
    output = io.BytesIO()
    _palette_image(image).save(output, format="PNG")
    return output.getvalue()


def _drawn(card: Card) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    rtl = card.direction == "rtl"
    draw.rectangle((WIDTH - BAR, 0, WIDTH, HEIGHT) if rtl else (0, 0, BAR - 1, HEIGHT), fill=ACCENT)
    start = WIDTH - BAR - MARGIN if rtl else BAR + MARGIN
    end = start - CONTENT_WIDTH if rtl else start + CONTENT_WIDTH
    draw.line((min(start, end), RULE_Y, max(start, end), RULE_Y), fill=LINE, width=2)
    for item in card_lines(card):
        draw.text(
            (start, item.baseline),
            item.text,
            font=item.line.font,
            fill=item.fill,
            anchor="rs" if rtl else "ls",
            **item.line.layout(),  # type: ignore[arg-type]
        )
    return image


def _palette_image(image: Image.Image) -> Image.Image:
    """The card in a palette of 64 colours (its own and their antialiased edges): a third of the
    bytes of full colour, the same look. Quick (the octree takes milliseconds, where median cut or
    a fixed palette take a sixth of a second and more); the octree's averages move a flat colour by
    a step or two, so the card's own colours are put back exactly."""
    quantized = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = quantized.getpalette() or []
    for start in range(0, len(palette) - 2, 3):
        entry = palette[start : start + 3]
        for colour in (PAPER, INK, INK_MUTED, ACCENT, LINE):
            if max(abs(a - b) for a, b in zip(entry, colour, strict=True)) <= 3:
                palette[start : start + 3] = colour
    quantized.putpalette(palette)
    return quantized
