"""A solidarity action from a phone to the public page, in Chromium: a member organisation's contact
signs in from the emailed link, reports a rally with a camera's photo, an editor of the issuing
body approves it, and readers find it on the statement's list of actions, in its count and in its
Atom feed, with the photo re-encoded and every piece of the camera's metadata gone."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from playwright.sync_api import Browser, Locator, Page, expect

from undersigned.accounts.tests.browser import sign_in
from undersigned.actions.tests.conftest import MEMBER_CONTACT
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.tests.conftest import build_open_statement
from undersigned.testing import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: dict[str, Any] = {
    "locale": "en-GB",
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
# Touch targets of at least 44 CSS pixels each way, as the site's own buttons (2.75rem) and WCAG's
# target size (2.5.5) ask; text at least 16 pixels in a field, or a phone zooms in when it is tapped.
MIN_TARGET = 44
MIN_FIELD_FONT_PIXELS = 16
ATOM = "{http://www.w3.org/2005/Atom}"
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
MODEL = "Journeycam Pocket 7"
USER_COMMENT = "Meeting point at the fountain, 14:00"
JPEG_COMMENT = b"Shot from the steps of the town hall"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Journeyville"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
# 45°45'34.57" N, 4°50'12.31" E, as a camera writes them: degrees, minutes and seconds as fractions
# (in lowest terms, as Pillow writes them).
LATITUDE = ((45, 1), (45, 1), (3457, 100))
LONGITUDE = ((4, 1), (50, 1), (1231, 100))
DESCRIPTION = "A rally on the town hall square, with readings of the statement in three languages."


def rationals(value: tuple[tuple[int, int], ...]) -> bytes:
    """A GPS coordinate as the EXIF block stores it (Pillow writes a JPEG's EXIF big-endian)."""
    return b"".join(struct.pack(">LL", numerator, denominator) for numerator, denominator in value)


def camera_jpeg() -> bytes:
    """A phone camera's JPEG: EXIF with a GPS position, the camera's model and a user comment, plus
    an XMP packet, an ICC profile and a JPEG comment."""
    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 500, 1100, 800), fill=(200, 40, 40))
    draw.ellipse((450, 100, 750, 400), fill=(250, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "Journeycam"  # Make
    exif[0x0110] = MODEL
    exif.get_ifd(EXIF_IFD)[0x9286] = b"ASCII\0\0\0" + USER_COMMENT.encode()  # UserComment
    exif.get_ifd(GPS_IFD).update(
        {
            1: "N",
            2: tuple(IFDRational(*pair) for pair in LATITUDE),
            3: "E",
            4: tuple(IFDRational(*pair) for pair in LONGITUDE),
            18: "WGS-84",  # GPSMapDatum
        }
    )
    output = io.BytesIO()
    image.save(
        output,
        format="JPEG",
        quality=90,
        exif=exif,
        xmp=XMP,
        icc_profile=b"a camera's ICC profile",
        comment=JPEG_COMMENT,
    )
    return output.getvalue()


def traces_of_the_camera() -> list[bytes]:
    return [
        MODEL.encode(),
        USER_COMMENT.encode(),
        JPEG_COMMENT,
        b"Journeyville",
        b"WGS-84",
        b"ICC profile",
        rationals(LATITUDE),
        rationals(LONGITUDE),
    ]


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot for a person to look at."""
    path = Path(f"/tmp/journey_{name}.png")  # noqa: S108
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_the_phone(page: Page, name: str) -> None:
    """No horizontal scrolling at the phone's width, and a screenshot; a failure names the elements
    that stick out. A phone browser widens its layout viewport (``innerWidth``) to fit a page that is
    too wide and zooms out, so the page is measured against the phone's own width, not innerWidth."""
    shot(page, name)
    phone_width = PHONE["viewport"]["width"]
    width = page.evaluate(
        """(phoneWidth) => ({
            scroll: document.scrollingElement.scrollWidth,
            inner: innerWidth,
            wider: [...document.body.querySelectorAll('*')]
                .filter((element) => element.getBoundingClientRect().right > phoneWidth + 0.5)
                .slice(0, 8)
                .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
        })""",
        phone_width,
    )
    assert width["inner"] == phone_width and width["scroll"] <= phone_width, (
        f"{page.url} is wider than the phone ({phone_width}px): {width}"
    )


def assert_usable_by_touch(form: Locator) -> None:
    """Every control of ``form`` that people use is on screen across (not cut off at either side), at
    least MIN_TARGET pixels each way, and writes its text large enough not to make the phone zoom.
    A robots' honeypot, hidden from people and off screen on purpose, is left out."""
    controls = form.evaluate(
        """(form) => [...form.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
            .filter((control) => !control.closest('[aria-hidden="true"]'))
            .map((control) => {
                const box = control.getBoundingClientRect();
                return {
                    name: control.name || control.textContent.trim(),
                    left: box.left, right: box.right, width: box.width, height: box.height,
                    font: parseFloat(getComputedStyle(control).fontSize),
                };
            })"""
    )
    assert controls
    for control in controls:
        assert control["left"] >= 0 and control["right"] <= PHONE["viewport"]["width"], (
            f"sticks out at phone width: {control}"
        )
        assert round(min(control["width"], control["height"])) >= MIN_TARGET, f"too small to tap: {control}"
        assert control["font"] >= MIN_FIELD_FONT_PIXELS, f"text too small, the phone zooms in: {control}"


def link_mailed_to(address: str, smtp_server, run_tasks, part: str) -> str:
    """The path of the link containing ``part`` in the last mail, which must be to ``address``."""
    run_tasks()
    mail = smtp_server.messages[-1]
    assert address in mail["To"], mail["To"]
    return urlsplit(next(link for link in smtp_server.links_in(mail) if part in link)).path


def test_a_member_reports_a_rally_from_a_phone_and_it_is_published_once_approved(
    browser: Browser, page: Page, live_server, libraries, smtp_server, run_tasks
):
    editor(libraries)
    target = build_open_statement(libraries)
    # Live-server tests run in transactions of their own, which empty the tables (the built-in
    # organisation types with them) after whichever test ran before.
    ensure_builtin_types()
    organisation = member_organisation()
    assert not libraries.members_skip_review  # so the action waits for an editor
    slug = target.statement.slug
    base = live_server.url
    photo = camera_jpeg()
    for trace in traces_of_the_camera():
        assert trace in photo, trace  # else the checks on the served photo below prove nothing
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)

    member = browser.new_context(**PHONE)
    reader = browser.new_context(**PHONE)
    try:
        phone = member.new_page()
        phone.set_default_timeout(10_000)
        public = reader.new_page()
        public.set_default_timeout(10_000)

        # From the statement, a contact who is not signed in finds the form for any organisation, and
        # above it the way in for members' contacts.
        phone.goto(f"{base}/statements/{slug}/")
        assert_fits_the_phone(phone, "01_statement")
        phone.locator(".statement-actions").get_by_role("link", name="Report an action").tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Report an action")
        assert_usable_by_touch(phone.locator("form.sign-form"))
        assert_fits_the_phone(phone, "02_report_any_organisation")
        phone.locator(".notice").get_by_role("link", name="Sign in with your email").tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in as a member organisation")
        phone.get_by_label("Your email address at your organisation").fill(MEMBER_CONTACT)
        assert_usable_by_touch(phone.locator("main form"))
        assert_fits_the_phone(phone, "03_member_sign_in")
        phone.get_by_role("button", name="Email me a sign-in link").tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")

        phone.goto(base + link_mailed_to(MEMBER_CONTACT, smtp_server, run_tasks, "/organisations/members/sign-in/"))
        assert_fits_the_phone(phone, "04_sign_in_link")
        phone.get_by_role("button", name="Sign in").tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Endorse for your organisation")
        assert_fits_the_phone(phone, "05_member_home")
        phone.locator("article").filter(has=phone.locator(f'a[href="/statements/{slug}/"]')).get_by_role(
            "link", name="Report an action"
        ).tap()

        expect(phone.get_by_role("heading", level=1)).to_have_text("Report an action")
        form = phone.locator("form.sign-form")
        expect(form.get_by_label("Organisation")).to_have_value(str(organisation.pk))
        form.get_by_label("Kind of action").select_option(label="Rally")
        form.get_by_label("Date").fill(timezone.localdate().isoformat())
        form.get_by_label("City or town").fill("Lyon")
        form.get_by_label("Country").select_option("FR")
        form.get_by_label("Description (required)").fill(DESCRIPTION)
        form.get_by_label("How many took part (optional)").fill("250")
        # The warning about faces is read before the file is chosen: above the file input, on screen.
        warning = phone.locator("#photo-warning")
        file_input = form.get_by_label("Photo (optional)")
        file_input.scroll_into_view_if_needed()
        expect(warning).to_be_in_viewport()
        expect(warning).to_contain_text("Faces in a photo can put people at risk")
        warning_box, input_box = warning.bounding_box(), file_input.bounding_box()
        assert warning_box and input_box and warning_box["y"] + warning_box["height"] <= input_box["y"]
        file_input.set_input_files({"name": "rally.jpg", "mimeType": "image/jpeg", "buffer": photo})
        assert_usable_by_touch(form)
        assert_fits_the_phone(phone, "06_report_form")
        form.get_by_role("button", name="Report the action").tap()

        expect(phone.get_by_role("status")).to_contain_text(
            "Thank you: the action is shown here once the issuing body has reviewed it."
        )
        expect(phone.get_by_role("heading", level=1)).to_have_text("Solidarity actions")
        expect(phone.locator(".action")).to_have_count(0)
        assert_fits_the_phone(phone, "07_thank_you")

        # Not public before an editor has seen it.
        public.goto(f"{base}/statements/{slug}/actions/")
        expect(public.locator(".empty-state")).to_have_text("No action has been reported for this statement yet.")
        public.goto(f"{base}/statements/{slug}/")
        expect(public.locator(".statement-actions")).to_contain_text("Report an action")
        expect(public.locator(f'.statement-actions a[href="/statements/{slug}/actions/"]')).to_have_count(0)

        # An editor of the issuing body approves it, at a desk.
        sign_in(page, base, "eli@example.org")
        page.get_by_role("link", name="Solidarity actions (1 waiting)").click()
        assert urlsplit(page.url).path == "/staff/actions/"
        waiting = page.locator(".action-list .action")
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("Friends of the Reading Room")
        expect(waiting).to_contain_text(DESCRIPTION)
        expect(waiting.locator("img.action__photo")).to_have_js_property("naturalWidth", 1200)
        shot(page, "08_staff_queue")
        waiting.get_by_role("checkbox").check()
        page.get_by_role("button", name="Approve the chosen").click()
        expect(page.get_by_role("status")).to_contain_text("1 action approved.")

        # Readers on phones see it, with its photo, and its count on the statement.
        public.goto(f"{base}/statements/{slug}/actions/")
        shown = public.locator(".action-list .action")
        expect(shown).to_have_count(1)
        for text in ("Friends of the Reading Room", "Rally", "Lyon, France", DESCRIPTION, "250 taking part"):
            expect(shown).to_contain_text(text)
        image = shown.locator("img.action__photo")
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("naturalWidth", 1200)
        assert_fits_the_phone(public, "09_public_list")
        feed_path = public.get_by_role("link", name="Follow these actions (Atom feed)").get_attribute("href")
        assert feed_path == reverse("actions:feed", args=[slug, "en"])
        photo_path = image.get_attribute("src")
        assert photo_path and photo_path.startswith("/actions/photos/")

        public.get_by_role("link", name="Back to the statement").tap()
        expect(public.locator(".statement-actions")).to_contain_text("1 action in 1 country")
        assert_fits_the_phone(public, "10_statement_with_count")

        feed = reader.request.get(base + feed_path)
        assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
        (entry,) = ElementTree.fromstring(feed.body()).findall(f"{ATOM}entry")
        title = entry.findtext(f"{ATOM}title") or ""
        assert all(part in title for part in ("Friends of the Reading Room", "Rally", "Lyon")), title
        assert DESCRIPTION in (entry.findtext(f"{ATOM}summary") or "")

        # The photo as served: the server's own WebP, with nothing of what the camera recorded.
        served = reader.request.get(base + photo_path)
        assert served.ok and served.headers["content-type"] == "image/webp"
        data = served.body()
        assert photo_path == f"/actions/photos/{hashlib.sha256(data).hexdigest()}"
        with Image.open(io.BytesIO(data)) as webp:
            assert webp.format == "WEBP"
            assert webp.size == (1200, 900)
            assert len(webp.getexif()) == 0
            assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & set(webp.info)
            webp.load()
            assert webp.convert("RGB").getpixel((600, 650)) == pytest.approx((200, 40, 40), abs=12)
        for trace in traces_of_the_camera():
            assert trace not in data, trace
    finally:
        member.close()
        reader.close()
