"""Photos of solidarity actions: an upload is decoded once and re-encoded as a WebP of at most
LONG_SIDE pixels on its long side, drawn from the pixels alone, so what the site serves is an image
the server drew itself, without the uploader's metadata: no EXIF (camera, time, GPS position), no
XMP, no ICC profile, no comments. A camera's rotation, which lives in the EXIF, is applied to the
pixels first.

A photo of people at an action can put them at risk: the form says so before the upload, and editors
can blur or remove a photo (``services.action_photo_blur`` and ``action_photo_remove``).

As for logos (``organisations.logos``, whose format check this shares): only JPEG, PNG and WebP are
accepted, recognised by their first bytes, and each is decoded by its own format's decoder only.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageFilter, ImageOps

from undersigned.actions.models import ActionPhoto
from undersigned.core.exceptions import DomainError
from undersigned.organisations.logos import MALFORMED_IMAGE_ERRORS, as_rgba, image_format_of

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000
# Sharp across a phone's or a laptop's screen; a 1600-pixel WebP weighs 100 to 300 kB.
LONG_SIDE = 1600
# Lossy: at 80 a photograph shows no artefacts at the sizes the pages draw it.
WEBP_QUALITY = 80
# A strong blur, in proportion to the image: a face a tenth of the image's width is a smear of colour.
BLUR_RADIUS_SHARE = 40
MIN_BLUR_RADIUS = 12


class PhotoError(DomainError):
    """An upload that cannot become a photo; ``message`` tells the person uploading why."""


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    sha256: str
    width: int
    height: int


def process_photo(data: bytes) -> ProcessedPhoto:
    """Decode an uploaded JPEG, PNG or WebP and draw it again, scaled to fit LONG_SIDE, as a WebP
    with no metadata. Raises ``PhotoError`` for anything else, never another exception for a
    malformed file. The pixel count is checked from the header before any pixel is decoded."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_many_bytes()
    if not data:
        raise _not_an_image()
    image_format = image_format_of(data)
    if image_format is None:
        raise _not_an_image()
    try:
        with warnings.catch_warnings():
            # As for logos: Pillow's warning for a large image becomes the refusal below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                width, height = image.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise _too_many_pixels()
                if width == 0 or height == 0:
                    raise _not_an_image()
                # Checks the file's structure (PNG's checksums among others) before decoding it.
                image.verify()
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                photo = _photo_drawn_from(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except MALFORMED_IMAGE_ERRORS as error:
        raise _not_an_image() from error
    return _encoded(photo)


def blurred(photo: ActionPhoto) -> ProcessedPhoto:
    """The stored photo blurred all over, strongly enough that no face in it can be recognised."""
    with Image.open(io.BytesIO(bytes(photo.image)), formats=["WEBP"]) as image:
        image.load()
        radius = max(MIN_BLUR_RADIUS, max(image.size) // BLUR_RADIUS_SHARE)
        drawn = _without_metadata(image.convert("RGB").filter(ImageFilter.GaussianBlur(radius)))
    return _encoded(drawn)


def photo_store(processed: ProcessedPhoto) -> ActionPhoto:
    """Stores a processed photo once per distinct image: two uploads that draw the same image share
    one row. Call inside the transaction that links it to its action."""
    photo, _created = ActionPhoto.objects.get_or_create(
        sha256=processed.sha256,
        defaults={"image": processed.image, "width": processed.width, "height": processed.height},
    )
    return photo


def _photo_drawn_from(image: Image.Image) -> Image.Image:
    # A JPEG can be decoded at 1/2 to 1/8 scale for almost nothing; other formats ignore this.
    image.draft("RGB", (2 * LONG_SIDE, 2 * LONG_SIDE))
    # Decodes the first frame only: Image.open leaves an animation there and it is never advanced.
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    rgba = as_rgba(image)
    scale = min(1.0, LONG_SIDE / max(rgba.width, rgba.height))
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    scaled = rgba.resize(size, Image.Resampling.LANCZOS) if size != rgba.size else rgba
    # Transparent parts of a PNG or WebP show on white, as on the page.
    return _without_metadata(scaled)


def _without_metadata(image: Image.Image) -> Image.Image:
    """A new RGB image holding only ``image``'s pixels: a new image's info dictionary is empty, so
    nothing of the upload's metadata (EXIF, XMP, ICC profile, comments) can be written out again."""
    drawn = Image.new("RGB", image.size, (255, 255, 255))
    if image.mode == "RGBA":
        drawn.paste(image, (0, 0), image)
    else:
        drawn.paste(image.convert("RGB"), (0, 0))
    return drawn


def _encoded(image: Image.Image) -> ProcessedPhoto:
    output = io.BytesIO()
    # Pillow writes EXIF, ICC and XMP only when given them or found in image.info, empty here.
    image.save(output, format="WEBP", quality=WEBP_QUALITY)
    webp = output.getvalue()
    return ProcessedPhoto(image=webp, sha256=hashlib.sha256(webp).hexdigest(), width=image.width, height=image.height)


def _too_many_bytes() -> PhotoError:
    return PhotoError(
        "photo_too_large",
        _("The photo is larger than %(megabytes)d MB. Send a smaller one.")
        % {"megabytes": MAX_PHOTO_BYTES // (1024 * 1024)},
    )


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        "photo_too_many_pixels",
        _("The photo is too large (at most %(millions)d million pixels). Send a smaller one.")
        % {"millions": MAX_SOURCE_PIXELS // 1_000_000},
    )


def _not_an_image() -> PhotoError:
    return PhotoError("photo_not_an_image", _("This file is not a JPEG, PNG or WebP image, or it is damaged."))
