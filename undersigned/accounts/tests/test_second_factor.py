"""Staff sign-in's second factor, sessions that expire and can be ended, and password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from undersigned.accounts.enrolment import ENROLMENT_LINK
from undersigned.accounts.models import StaffSession
from undersigned.accounts.second_factor import needs_second_factor
from undersigned.accounts.tests.browser import code_for_secret
from undersigned.commissions.models import CommissionMembership
from undersigned.core.links import make_link
from undersigned.core.models import AuditEvent
from undersigned.testing import TEST_PASSWORD, UserFactory, current_code, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db


def sign_in_with_password(client: Client, email: str, password: str = TEST_PASSWORD) -> None:
    response = client.post("/accounts/sign-in/", {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]


def open_enrolment_link(client: Client, user) -> None:
    """Asks for the set-up link and follows it, as a person reading their mail would (the mail
    itself: ``test_the_first_set_up_starts_from_a_mailed_link``)."""
    asked = client.post("/accounts/second-factor/set-up/")
    assert asked.status_code == 200 and "We sent a link to" in asked.content.decode()
    opened = client.get(f"/accounts/second-factor/set-up/{make_link(ENROLMENT_LINK, user.pk)}/")
    assert opened.status_code == 302


def enrol(client: Client, user) -> list[str]:
    """Sets up the authenticator through the pages, as a person with a phone would."""
    if "secret-key" not in client.get("/accounts/second-factor/set-up/").content.decode():
        open_enrolment_link(client, user)
    page = client.get("/accounts/second-factor/set-up/")
    assert page.status_code == 200
    secret = re.search(r'<code class="secret-key" dir="ltr">([A-Z2-7 ]+)</code>', page.content.decode()).group(1)
    assert TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    code = code_for_secret(secret)  # what the phone shows once it has the key
    response = client.post("/accounts/second-factor/set-up/", {"code": code, "next": "/staff/"})
    assert response.status_code == 200
    return re.findall(r"<li><code>([0-9a-z]+)</code></li>", response.content.decode())


def test_roles_that_see_personal_data_need_a_second_factor(libraries):
    assert needs_second_factor(secretariat())
    assert needs_second_factor(editor(libraries))
    moderator = UserFactory.create()
    CommissionMembership.objects.create(commission=libraries, user=moderator, role="moderator")
    assert needs_second_factor(moderator)
    for role in ("translator", "viewer"):
        other = UserFactory.create()
        CommissionMembership.objects.create(commission=libraries, user=other, role=role)
        assert not needs_second_factor(other)
    assert needs_second_factor(UserFactory.create(is_staff=True))


def test_a_new_editor_sets_up_an_authenticator_before_any_staff_page(client, libraries):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    response = client.get("/staff/statements/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/second-factor/set-up/?next=%2Fstaff%2Fstatements%2F"
    open_enrolment_link(client, eli)
    page = client.get("/accounts/second-factor/set-up/").content.decode()
    assert "<svg" in page and "QR code for your authenticator app" in page
    response = client.post("/accounts/second-factor/set-up/", {"code": "000000"})
    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=eli, confirmed=True).exists()
    # After a wrong code the device waits a moment before checking another (django-otp's throttle).
    TOTPDevice.objects.filter(user=eli).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    codes = enrol(client, eli)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/staff/statements/").status_code == 200
    assert AuditEvent.objects.filter(action="second_factor.enrolled", subject_id=eli.pk).exists()


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_or_reused_one(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)  # a confirmed authenticator
    sign_in_with_password(client, eli.email)
    response = client.get("/staff/")
    assert response.headers["Location"] == "/accounts/second-factor/?next=%2Fstaff%2F"
    wrong = client.post("/accounts/second-factor/", {"code": "123 456", "next": "/staff/"})
    assert wrong.status_code == 400
    assert "This code is not right, or was already used" in wrong.content.decode()
    assert client.get("/staff/").status_code == 302
    TOTPDevice.objects.filter(user=eli).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    code = current_code(eli)
    response = client.post("/accounts/second-factor/", {"code": code, "next": "/staff/"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    # The same code in another browser, even with the right password, is refused: codes work once.
    other = Client()
    sign_in_with_password(other, eli.email)
    again = other.post("/accounts/second-factor/", {"code": code, "next": "/staff/"})
    assert again.status_code == 400
    assert other.get("/staff/").status_code == 302


def test_a_backup_code_works_once(client, libraries):
    eli = editor(libraries)
    codes = []
    first = Client()
    sign_in_with_password(first, eli.email)
    codes = enrol(first, eli)
    sign_in_with_password(client, eli.email)
    assert client.post("/accounts/second-factor/", {"code": codes[0].upper(), "next": "/staff/"}).status_code == 302
    assert StaticToken.objects.filter(device__user=eli).count() == 9
    later = Client()
    sign_in_with_password(later, eli.email)
    assert later.post("/accounts/second-factor/", {"code": codes[0]}).status_code == 400


def test_many_wrong_codes_lock_the_account_out_with_a_message(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)
    sign_in_with_password(client, eli.email)
    for _ in range(10):
        client.post("/accounts/second-factor/", {"code": "999999"})
    response = client.post("/accounts/second-factor/", {"code": current_code(eli)})
    assert response.status_code == 400
    assert "Too many failed sign-ins. Wait 15 minutes" in response.content.decode()
    assert client.get("/staff/").status_code == 302


def test_a_stolen_password_cannot_replace_the_authenticator(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)
    sign_in_with_password(client, eli.email)
    response = client.get("/accounts/second-factor/set-up/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/second-factor/?again=1&next=")
    assert TOTPDevice.objects.filter(user=eli).count() == 1


def test_translators_and_viewers_may_work_without_a_second_factor(client, libraries):
    tove = UserFactory.create(email="tove@example.org")
    CommissionMembership.objects.create(commission=libraries, user=tove, role="translator")
    sign_in_with_password(client, tove.email)
    assert client.get("/staff/").status_code == 200
    assert "Set up an authenticator app" in client.get("/accounts/security/").content.decode()


def test_next_never_leaves_the_site(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)
    sign_in_with_password(client, eli.email)
    response = client.post(
        "/accounts/second-factor/", {"code": current_code(eli), "next": "https://elsewhere.example/"}
    )
    assert response.headers["Location"] == "/staff/"


def test_sessions_are_listed_and_another_can_be_ended(libraries):
    eli = editor(libraries)
    laptop, phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"), Client()
    staff_login(phone, eli)
    sign_in_with_password(laptop, eli.email)
    laptop.post("/accounts/second-factor/", {"code": current_code(eli)})
    page = laptop.get("/accounts/security/").content.decode()
    assert page.count("End this session") == 1 and "Firefox / Linux" in page and "this browser" in page
    other = StaffSession.objects.exclude(marker=laptop.session["staff_session"]).get()
    response = laptop.post("/accounts/security/sessions/", {"session": str(other.pk)}, follow=True)
    assert "that browser is signed out" in response.content.decode()
    assert phone.get("/staff/").headers["Location"].startswith("/accounts/sign-in/")
    assert laptop.get("/staff/").status_code == 200
    # Someone else's session cannot be ended from here.
    sam = secretariat()
    staff_login(phone, sam)
    sams = StaffSession.objects.get(user=sam)
    laptop.post("/accounts/security/sessions/", {"session": str(sams.pk)})
    assert StaffSession.objects.filter(pk=sams.pk).exists()
    assert laptop.post("/accounts/security/sessions/", {"session": "x1"}, follow=True).status_code == 200


def test_a_session_ends_after_two_idle_hours(client, libraries):
    eli = editor(libraries)
    staff_login(client, eli)
    assert client.get("/staff/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        response = client.get("/staff/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/sign-in/")
    assert not StaffSession.objects.filter(user=eli).exists()


def test_sign_out_ends_the_session_row(client, libraries):
    staff_login(client, editor(libraries))
    client.post("/accounts/sign-out/")
    assert not StaffSession.objects.exists()


def test_changing_the_password_signs_out_the_other_sessions(libraries):
    eli = editor(libraries)
    here, there = Client(), Client()
    staff_login(here, eli)
    staff_login(there, eli)
    response = here.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a new long passphrase 99",
            "new_password2": "a new long passphrase 99",
        },
    )
    assert response.status_code == 302
    assert here.get("/staff/").status_code == 200
    assert there.get("/staff/").status_code == 302
    assert StaffSession.objects.filter(user=eli).count() == 1


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_email_still_needs_the_second_factor(client, libraries, smtp_server, run_tasks):
    eli = editor(libraries)
    staff_login(Client(), eli)
    known = client.post("/accounts/password-reset/", {"email": "ELI@example.org"})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/accounts/password-reset/sent/"
    run_tasks()
    assert len(smtp_server.messages) == 1
    [link] = [url for url in smtp_server.links_in(smtp_server.messages[0]) if "/password-reset/" in url]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "a fresh long passphrase 12", "new_password2": "a fresh long passphrase 12"},
    )
    assert response.status_code == 302
    # The link worked once.
    assert "expired or was already used" in client.get(path, follow=True).content.decode()
    sign_in_with_password(client, eli.email, "a fresh long passphrase 12")
    assert client.get("/staff/").headers["Location"].startswith("/accounts/second-factor/")


@pytest.mark.django_db(transaction=True)
def test_an_expired_reset_link_gets_a_clear_page(client, libraries, smtp_server, run_tasks):
    editor(libraries)
    client.post("/accounts/password-reset/", {"email": "eli@example.org"})
    run_tasks()
    [link] = [url for url in smtp_server.links_in(smtp_server.messages[0]) if "/password-reset/" in url]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=5)):
        response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "expired or was already used" in response.content.decode()
    forged = client.get("/accounts/password-reset/MQ/abc-123/", follow=True)
    assert "expired or was already used" in forged.content.decode()


def test_bad_input_to_the_second_factor_forms_is_explained(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)
    sign_in_with_password(client, eli.email)
    for code in ("", "x" * 500, "١٢٣٤٥٦", "\x00"):
        response = client.post("/accounts/second-factor/", {"code": code})
        assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_the_secretariat_gives_roles_and_resets_a_lost_second_factor_in_the_admin(client, libraries):
    sam = secretariat(is_staff=True, is_superuser=True)
    eli = editor(libraries)
    staff_login(Client(), eli)
    staff_login(client, sam)
    page = client.get(f"/admin/accounts/user/{eli.pk}/change/").content.decode()
    assert "Moderator" in page and "Viewer" in page
    response = client.post(
        "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [str(eli.pk)]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=eli).exists()
    assert AuditEvent.objects.filter(action="second_factor.reset", subject_id=eli.pk, actor=sam).exists()


def test_pages_that_show_secrets_are_never_cached(client, libraries):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    assert "no-store" in client.get("/accounts/second-factor/set-up/")["Cache-Control"]
    staff_login(client, eli)
    assert "no-store" in client.post("/accounts/security/backup-codes/")["Cache-Control"]


def test_timed_out_sessions_are_not_listed_and_go_at_the_next_sign_in(libraries):
    eli = editor(libraries)
    old = Client()
    staff_login(old, eli)
    StaffSession.objects.update(last_seen=timezone.now() - timedelta(hours=3))
    here = Client()
    staff_login(here, eli)
    assert StaffSession.objects.filter(user=eli).count() == 1
    assert "End this session" not in here.get("/accounts/security/").content.decode()


def _left_open(client: Client, user) -> None:
    """A verified session last given a code ten minutes ago, as on a computer left unattended."""
    from undersigned.accounts.second_factor import VERIFIED_AT_SESSION_KEY

    staff_login(client, user)
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] -= 600
    session.save()


def test_a_session_left_open_cannot_make_new_backup_codes_without_a_code(client, libraries):
    eli = editor(libraries)
    _left_open(client, eli)
    before = list(StaticToken.objects.filter(device__user=eli).values_list("token", flat=True))
    response = client.post("/accounts/security/backup-codes/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/second-factor/?again=1")
    assert list(StaticToken.objects.filter(device__user=eli).values_list("token", flat=True)) == before
    page = client.get(response.headers["Location"]).content.decode()
    assert "needs a code typed just now" in page
    client.post(response.headers["Location"], {"code": current_code(eli)})
    renewed = client.post("/accounts/security/backup-codes/")
    assert renewed.status_code == 200 and len(re.findall(r"<li><code>", renewed.content.decode())) == 10


def test_a_session_left_open_cannot_replace_the_authenticator_without_a_code(client, libraries):
    eli = editor(libraries)
    _left_open(client, eli)
    response = client.get("/accounts/second-factor/set-up/")
    assert response.status_code == 302 and "again=1" in response.headers["Location"]
    assert client.post("/accounts/second-factor/set-up/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=eli).count() == 1


def test_each_session_sets_up_its_own_secret(libraries):
    eli = editor(libraries)
    first, second = Client(), Client()
    sign_in_with_password(first, eli.email)
    sign_in_with_password(second, eli.email)
    open_enrolment_link(first, eli)
    open_enrolment_link(second, eli)
    pattern = r'<code class="secret-key" dir="ltr">([A-Z2-7 ]+)</code>'
    seen = re.search(pattern, first.get("/accounts/second-factor/set-up/").content.decode()).group(1)
    again = re.search(pattern, first.get("/accounts/second-factor/set-up/").content.decode()).group(1)
    other = re.search(pattern, second.get("/accounts/second-factor/set-up/").content.decode()).group(1)
    assert seen == again  # reloading keeps the secret already scanned
    assert other != seen  # a secret seen in one session is never confirmed in another
    assert TOTPDevice.objects.filter(user=eli, confirmed=False).count() == 1


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(client, libraries):
    eli = editor(libraries)
    staff_login(client, eli)
    StaffSession.objects.update(created_at=timezone.now() - timedelta(hours=12, minutes=1))
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/sign-in/")


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_the_first_set_up_starts_from_a_mailed_link(client, libraries, smtp_server, run_tasks):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    page = client.get("/accounts/second-factor/set-up/")
    # A password alone shows no secret to scan: first the mailbox.
    assert "secret-key" not in page.content.decode() and "Send me the link" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=eli).exists()
    client.post("/accounts/second-factor/set-up/")
    run_tasks()
    (message,) = smtp_server.messages
    assert message["To"] == eli.email
    [link] = [url for url in smtp_server.links_in(message) if "/second-factor/set-up/" in url]
    path = link.removeprefix(settings.SITE_URL)

    # Somebody else signed in with the same password cannot use it, nor can it be used twice.
    intruder = Client()
    sign_in_with_password(intruder, eli.email)
    assert client.get(path).headers["Location"] == "/accounts/second-factor/set-up/"
    assert intruder.get(path).status_code == 410
    assert "secret-key" not in intruder.get("/accounts/second-factor/set-up/").content.decode()
    assert "secret-key" in client.get("/accounts/second-factor/set-up/").content.decode()


def test_the_mailed_link_allows_one_set_up_only(client, libraries):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    enrol(client, eli)
    # The secretariat resets the lost authenticator: this session needs a new link for a new one.
    TOTPDevice.objects.filter(user=eli).delete()
    page = client.get("/accounts/second-factor/set-up/").content.decode()
    assert "secret-key" not in page and "Send me the link" in page


def test_a_link_of_another_account_or_a_forged_one_does_nothing(client, libraries):
    eli, other = editor(libraries), UserFactory.create(email="ola@example.org", is_secretariat=True)
    sign_in_with_password(client, eli.email)
    for token in (make_link(ENROLMENT_LINK, other.pk), "forged", make_link(ENROLMENT_LINK, eli.pk)[:-2] + "xx"):
        assert client.get(f"/accounts/second-factor/set-up/{token}/").status_code == 404
    assert "secret-key" not in client.get("/accounts/second-factor/set-up/").content.decode()


def test_set_up_links_are_limited_to_three_an_hour(client, libraries):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    for _ in range(3):
        assert client.post("/accounts/second-factor/set-up/").status_code == 200
    refused = client.post("/accounts/second-factor/set-up/")
    assert refused.status_code == 429
    assert "Three links were sent in the last hour" in refused.content.decode()


def test_the_session_key_changes_when_the_code_is_accepted(client, libraries):
    eli = editor(libraries)
    staff_login(Client(), eli)
    sign_in_with_password(client, eli.email)
    after_password = client.session.session_key
    client.post("/accounts/second-factor/", {"code": current_code(eli), "next": "/staff/"})
    assert client.session.session_key != after_password
    assert client.get("/staff/").status_code == 200


def test_the_set_up_redirect_encodes_next(client, libraries):
    eli = editor(libraries)
    sign_in_with_password(client, eli.email)
    response = client.get("/accounts/second-factor/", {"next": "/staff/statements/?a=1&b=2"})
    encoded = "%2Fstaff%2Fstatements%2F%3Fa%3D1%26b%3D2"
    assert response.headers["Location"] == f"/accounts/second-factor/set-up/?next={encoded}"
