"""Organisations' logos: an upload is decoded once and re-encoded as a 200×200 WebP with no metadata,
so what the site serves is always an image the server drew itself, never the uploader's file.

WebP, lossless or lossy, whichever is smaller: a flat logo with lettering is smaller lossless (and
stays exact), a photograph many times smaller lossy. A logo of the demo's kind weighs about 1 kB,
a photograph 4 kB, against 4 and 40 kB as PNG; pages show them 40 to 48 pixels wide, so 200 pixels
stay sharp on any screen. Logos stored as PNG before are served as they are.

Only PNG, JPEG and WebP are accepted, recognised by their first bytes; the declared content type and
file name are not looked at. The decoder used is the one for the recognised format only, so an
upload never reaches Pillow's less used parsers (GIF, TIFF, BMP and the rest).
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from undersigned.core.exceptions import DomainError
from undersigned.organisations.models import Logo

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_SOURCE_PIXELS = 25_000_000
LOGO_SIZE = 200

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"

# Pillow raises these for malformed files; its fuzzing only promises OSError, but the parsers have
# raised the others for damaged headers and chunk lengths, and an upload must never become a 500.
MALFORMED_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)


class LogoError(DomainError):
    """An upload that cannot become a logo; ``message`` tells the person uploading why.

    A ``DomainError`` so that pages and the API report it like every other refusal."""


@dataclass(frozen=True)
class ProcessedLogo:
    image: bytes
    sha256: str
    width: int
    height: int


def process_logo(data: bytes) -> ProcessedLogo:
    """Decode an uploaded PNG, JPEG or WebP and draw it, centred and scaled to fit, on a transparent
    LOGO_SIZE × LOGO_SIZE square, as a WebP. Raises ``LogoError`` for anything else, never another exception
    for a malformed file.

    The pixel count is checked from the header before any pixel is decoded, so a small file that
    claims a huge image costs no memory."""
    if len(data) > MAX_LOGO_BYTES:
        raise _too_many_bytes()
    if not data:
        raise _damaged()
    image_format = image_format_of(data)
    if image_format is None:
        raise LogoError("logo_format", _("The logo must be a PNG, JPEG or WebP image."))
    try:
        with warnings.catch_warnings():
            # Between Image.MAX_IMAGE_PIXELS and twice that Pillow only warns; as an error the
            # refusal takes one path and nothing reaches the log. The filter list is process-wide
            # and catch_warnings is not thread-safe, so under threads this may briefly not apply:
            # the size check below still refuses, so safety does not rest on it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                width, height = image.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise _too_many_pixels()
                if width == 0 or height == 0:
                    raise _damaged()
                logo = _logo_drawn_from(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except MALFORMED_IMAGE_ERRORS as error:
        raise _damaged() from error
    webp = _webp_without_metadata(logo)
    return ProcessedLogo(image=webp, sha256=hashlib.sha256(webp).hexdigest(), width=logo.width, height=logo.height)


def logo_from_upload(upload: UploadedFile) -> Logo:
    """Process an uploaded logo and store it, once per distinct image: two uploads that draw the same
    image share one row, named by its hash."""
    # The declared size lets a large file be refused unread; the bounded read is what enforces it.
    if upload.size is not None and upload.size > MAX_LOGO_BYTES:
        raise _too_many_bytes()
    upload.seek(0)  # a form's validation may already have read it
    processed = process_logo(upload.read(MAX_LOGO_BYTES + 1))
    logo, _created = Logo.objects.get_or_create(
        sha256=processed.sha256,
        defaults={"image": processed.image, "width": processed.width, "height": processed.height},
    )
    return logo


def image_format_of(data: bytes) -> str | None:
    """Pillow's name for the format the file's first bytes announce, if it is one we accept."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _logo_drawn_from(image: Image.Image) -> Image.Image:
    # A JPEG can be decoded at 1/2 to 1/8 scale for almost nothing; twice the logo's size keeps the
    # final downscaling sharp (as Image.thumbnail does). Other formats ignore this.
    image.draft(None, (2 * LOGO_SIZE, 2 * LOGO_SIZE))
    # Decodes the first frame only: Image.open leaves an animation there and it is never advanced.
    image.load()
    # A camera's rotation lives in the EXIF we are about to drop, so it must be applied to the pixels.
    ImageOps.exif_transpose(image, in_place=True)
    rgba = as_rgba(image)
    width, height = _fitted_size(rgba.width, rgba.height)
    scaled = rgba.resize((width, height), Image.Resampling.LANCZOS)
    # A new image carries no info dictionary, so nothing of the upload's metadata can be re-encoded.
    square = Image.new("RGBA", (LOGO_SIZE, LOGO_SIZE), (0, 0, 0, 0))
    square.paste(scaled, ((LOGO_SIZE - width) // 2, (LOGO_SIZE - height) // 2))
    return square


def as_rgba(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I;16"):
        # 16-bit greys would be clipped at 255 (white) by convert(); scale them to 8 bits instead.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L").convert("RGBA")
    # convert() applies a palette's or a grey's transparent colour as alpha.
    return image.convert("RGBA")


def _fitted_size(width: int, height: int) -> tuple[int, int]:
    """The largest size within LOGO_SIZE × LOGO_SIZE with the image's aspect ratio; a line of one
    pixel stays one pixel thick rather than rounding away to nothing."""
    scale = LOGO_SIZE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


#: Lossy quality: above 85 a logo's edges and flat colours show no artefacts at the sizes shown.
WEBP_QUALITY = 90


def _webp_without_metadata(image: Image.Image) -> bytes:
    """The smaller of the lossless and the lossy encoding; the transparency is lossless in both.
    Pillow writes EXIF, ICC profiles and XMP only when given them or found in image.info, which is
    empty for an image made by Image.new. libwebp is deterministic: one upload, one file, one name.

    libwebp's default effort (method 4; quality 80, which for lossless is effort too): its highest
    takes seconds on a noisy image of this size for under 1 % less, a few milliseconds here."""
    encodings = []
    for options in ({"lossless": True}, {"quality": WEBP_QUALITY, "alpha_quality": 100}):
        output = io.BytesIO()
        image.save(output, format="WEBP", **options)
        encodings.append(output.getvalue())
    return min(encodings, key=len)


def _too_many_bytes() -> LogoError:
    return LogoError(
        "logo_too_large",
        _("The logo is larger than %(megabytes)d MB.") % {"megabytes": MAX_LOGO_BYTES // (1024 * 1024)},
    )


def _too_many_pixels() -> LogoError:
    return LogoError(
        "logo_too_many_pixels",
        _("The logo's image is too large (at most %(millions)d million pixels).")
        % {"millions": MAX_SOURCE_PIXELS // 1_000_000},
    )


def _damaged() -> LogoError:
    return LogoError("logo_damaged", _("The logo file is damaged or is not an image."))
