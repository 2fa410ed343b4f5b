"""Photos of actions: only real images, re-encoded smaller with every piece of metadata gone, served
from the site's own address; editors blur or remove them, within the statements they moderate."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw

from undersigned.actions.models import ActionPhoto, SolidarityAction
from undersigned.actions.photos import LONG_SIDE, MAX_PHOTO_BYTES, photo_store, process_photo
from undersigned.actions.services import action_photo_blur, action_photo_remove
from undersigned.actions.tests.conftest import member_client, report_data
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.core.audit import events_for
from undersigned.core.exceptions import DomainError
from undersigned.core.models import AuditEvent
from undersigned.testing import editor, staff_login

pytestmark = pytest.mark.django_db

QUEUE = "/staff/actions/"
GPS_IFD = 0x8825
MODEL_TAG = 0x0110
ORIENTATION_TAG = 0x0112


def camera_jpeg(width: int = 2400, height: int = 1200, *, orientation: int = 1) -> bytes:
    """A camera's JPEG: a model name, a GPS position, an orientation, an ICC profile, a comment."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    ImageDraw.Draw(image).rectangle((0, 0, width // 2, height // 2), fill=(20, 20, 220))
    exif = Image.Exif()
    exif[MODEL_TAG] = "Undersigned Test Camera"
    exif[ORIENTATION_TAG] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (45.0, 45.0, 0.0), 3: "E", 4: (4.0, 50.0, 0.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, icc_profile=b"not really a profile", comment=b"taken at the rally")
    data = output.getvalue()
    assert b"Undersigned Test Camera" in data
    return data


def png(width: int, height: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 10)).save(output, format="PNG")
    return output.getvalue()


def upload(data: bytes, name: str = "rally.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def report(open_statement, member, data: bytes, **fields):
    return member_client().post(
        f"/statements/{open_statement.statement.slug}/actions/report/",
        report_data(member, photo=upload(data), **fields),
    )


def stored_image(photo: ActionPhoto) -> Image.Image:
    image = Image.open(io.BytesIO(bytes(photo.image)))
    image.load()
    return image


def test_a_camera_photo_is_stored_re_encoded_smaller_and_without_any_metadata(open_statement, member):
    original = camera_jpeg()
    answer = report(open_statement, member, original)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    action = SolidarityAction.objects.get()
    photo = action.photo
    assert photo is not None
    data = bytes(photo.image)
    assert data != original and b"Undersigned Test Camera" not in data and b"taken at the rally" not in data
    image = stored_image(photo)
    assert image.format == "WEBP"
    assert (image.width, image.height) == (photo.width, photo.height) == (LONG_SIDE, LONG_SIDE // 2)
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
    [event] = events_for(action).filter(action="solidarity_action.reported")
    assert event.detail["photo"] is True


def test_the_camera_orientation_is_applied_before_the_exif_goes(db):
    # Orientation 6: the camera was turned; the picture is shown rotated by 90 degrees.
    processed = process_photo(camera_jpeg(800, 400, orientation=6))
    assert (processed.width, processed.height) == (400, 800)


def test_a_small_photo_is_not_enlarged_and_a_png_with_transparency_shows_on_white(db):
    output = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(output, format="PNG")
    processed = process_photo(output.getvalue())
    image = Image.open(io.BytesIO(processed.image))
    assert (image.width, image.height) == (300, 200)
    assert image.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Title\n\nA text file, not an image.\n", "is not a JPEG, PNG or WebP image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is not a JPEG, PNG or WebP image"),
        # A JPEG cut in half, and a PNG whose pixel data is not compressed data.
        (camera_jpeg(400, 300)[:1500], "is not a JPEG, PNG or WebP image"),
        (png(50, 50)[:60] + b"\x00" * 200 + png(50, 50)[-12:], "is not a JPEG, PNG or WebP image"),
        (b"\xff\xd8\xff" + b"\x00" * (MAX_PHOTO_BYTES + 10), "larger than 8 MB"),
        # A small file claiming 50 million pixels: refused from its header, before any decoding.
        (png(10_000, 5_000), "at most 40 million pixels"),
    ],
    ids=["text", "svg", "truncated-jpeg", "corrupt-png", "too-many-bytes", "too-many-pixels"],
)
def test_what_is_not_an_acceptable_image_is_refused_with_its_message_and_nothing_is_stored(
    open_statement, member, data, message
):
    audit_before = AuditEvent.objects.count()
    answer = report(open_statement, member, data)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert message in page
    assert 'id="id_photo_error"' in page
    assert not SolidarityAction.objects.exists() and not ActionPhoto.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_the_report_form_warns_about_faces_before_the_photo_field(open_statement, member):
    page = member_client().get(f"/statements/{open_statement.statement.slug}/actions/report/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert page.index("Faces in a photo can put people at risk") < page.index('name="photo"')


def test_the_public_list_shows_the_photo_from_the_sites_own_address_cached_by_its_hash(open_statement, member):
    photo = photo_store(process_photo(camera_jpeg(1000, 500)))
    SolidarityActionFactory.create(statement=open_statement.statement, organisation=member, kind="rally", photo=photo)
    page = Client().get(f"/statements/{open_statement.statement.slug}/actions/").content.decode()
    address = f"/actions/photos/{photo.sha256}"
    assert f'src="{address}" width="1000" height="500" alt="Photo of the action: Rally, Lyon, France"' in page
    assert 'loading="lazy"' in page
    answer = Client().get(address)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/webp"
    assert answer.content == bytes(photo.image)
    assert answer["Cache-Control"] == "public, max-age=3600"  # a takedown reaches every reader within the hour
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert Client().get(address, headers={"If-None-Match": f'"{photo.sha256}"'}).status_code == 304
    assert Client().get("/actions/photos/" + "0" * 64).status_code == 404
    assert Client().get("/actions/photos/not-a-hash").status_code == 404


def blue_at(image: Image.Image, where: tuple[int, int]) -> int:
    pixel = image.convert("RGB").getpixel(where)
    assert isinstance(pixel, tuple)
    return int(pixel[2])


@pytest.fixture
def with_photo(open_statement, member) -> SolidarityAction:
    photo = photo_store(process_photo(camera_jpeg(1200, 800)))
    return SolidarityActionFactory.create(
        statement=open_statement.statement,
        organisation=member,
        status=SolidarityAction.Status.AWAITING_MODERATION,
        photo=photo,
    )


@pytest.fixture
def editor_client(libraries) -> Client:
    client = Client()
    staff_login(client, editor(libraries))
    return client


def test_an_editor_blurs_a_photo_from_the_queue_and_the_unblurred_one_is_gone(with_photo, editor_client):
    old = with_photo.photo
    assert old is not None
    page = editor_client.get(QUEUE).content.decode()
    assert f"/actions/photos/{old.sha256}" in page
    answer = editor_client.post(QUEUE, {"photo_of": with_photo.pk, "change": "blur"})
    assert answer.status_code == 302
    with_photo.refresh_from_db()
    new = with_photo.photo
    assert new is not None and new.sha256 != old.sha256 and bytes(new.image) != bytes(old.image)
    assert (new.width, new.height) == (old.width, old.height)
    blurred_image = stored_image(new)
    assert not blurred_image.getexif() and "exif" not in blurred_image.info
    # The edge between the two colours is smeared: the pixel beside it is now a mixture.
    assert blue_at(stored_image(old), (598, 200)) > 200
    assert blue_at(blurred_image, (598, 200)) < 200
    assert not ActionPhoto.objects.filter(pk=old.sha256).exists()
    assert Client().get(f"/actions/photos/{old.sha256}").status_code == 404
    [event] = events_for(with_photo).filter(action="solidarity_action.photo_blurred")
    assert event.detail == {"statement": with_photo.statement_id, "status": "awaiting"}


def test_an_editor_removes_the_photo_of_a_published_action(with_photo, editor_client, open_statement):
    SolidarityAction.objects.filter(pk=with_photo.pk).update(status=SolidarityAction.Status.APPROVED)
    old = with_photo.photo
    assert old is not None
    page = editor_client.get(QUEUE).content.decode()
    assert "Photos of published actions" in page and f"/actions/photos/{old.sha256}" in page
    answer = editor_client.post(QUEUE, {"photo_of": with_photo.pk, "change": "remove"})
    assert answer.status_code == 302
    with_photo.refresh_from_db()
    assert with_photo.photo is None and not ActionPhoto.objects.exists()
    assert events_for(with_photo).filter(action="solidarity_action.photo_removed").count() == 1
    public = Client().get(f"/statements/{open_statement.statement.slug}/actions/").content.decode()
    assert "/actions/photos/" not in public
    # Twice: the photo is no longer there, and the page says so.
    again = editor_client.post(QUEUE, {"photo_of": with_photo.pk, "change": "remove"})
    assert again.status_code == 400 and "no photo any more" in again.content.decode()


def test_a_photo_shared_by_two_actions_stays_for_the_other(with_photo, open_statement, member, libraries):
    other = SolidarityActionFactory.create(
        statement=open_statement.statement, organisation=member, photo=with_photo.photo
    )
    action_photo_remove(actor=editor(libraries), action=with_photo)
    other.refresh_from_db()
    assert other.photo is not None and ActionPhoto.objects.count() == 1


def test_anmobilitys_editor_can_neither_blur_nor_remove(with_photo, mobility):
    outsider = editor(mobility)
    for change in (action_photo_blur, action_photo_remove):
        with pytest.raises(DomainError) as refused:
            change(actor=outsider, action=with_photo)
        assert refused.value.code == "forbidden"
    client = Client()
    staff_login(client, outsider)
    assert with_photo.photo is not None
    assert f"/actions/photos/{with_photo.photo.sha256}" not in client.get(QUEUE).content.decode()
    answer = client.post(QUEUE, {"photo_of": with_photo.pk, "change": "blur"})
    assert answer.status_code == 400
    with_photo.refresh_from_db()
    assert with_photo.photo is not None and ActionPhoto.objects.count() == 1
    assert not events_for(with_photo).filter(action__startswith="solidarity_action.photo").exists()


def test_a_rejected_actions_photo_is_left_alone(with_photo, libraries):
    SolidarityAction.objects.filter(pk=with_photo.pk).update(
        status=SolidarityAction.Status.REJECTED, rejection_reason="Off topic"
    )
    with pytest.raises(DomainError) as refused:
        action_photo_blur(actor=editor(libraries), action=with_photo)
    assert refused.value.code == "not_editable"
