"""PRODUCT.md journey 3 through the pages: an organisation signs on, its contact confirms, an
editor reviews, the statement shows it; and everything that bad input and forged links get."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from undersigned.core.crypto import open_sealed
from undersigned.core.exceptions import DomainError
from undersigned.notifications.services import RESEND_AFTER
from undersigned.organisations.models import Logo, SignOn, SignOnTally
from undersigned.organisations.selectors import review_queue
from undersigned.organisations.services.sign_ons import sign_on_withdraw, sign_ons_approve
from undersigned.organisations.tests.conftest import sign_on_data
from undersigned.organisations.tokens import SignOnRef, confirm_token, withdraw_token
from undersigned.signatures.tokens import SignatureRef
from undersigned.signatures.tokens import confirm_token as signature_confirm_token
from undersigned.testing import editor, secretariat, staff_login

pytestmark = pytest.mark.django_db(transaction=True)  # the mail worker reads committed rows


def sign_on_url(target) -> str:
    return f"/statements/{target.statement.slug}/sign-on/"


def links_of(smtp_server, index: int = -1) -> list[str]:
    return smtp_server.links_in(smtp_server.messages[index])


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def submit(client, target, **fields):
    return client.post(sign_on_url(target), sign_on_data(target, **fields))


def confirmed_sign_on(client, target, smtp_server, run_tasks, **fields) -> SignOn:
    assert submit(client, target, **fields).status_code == 200
    run_tasks()
    confirm = next(link for link in links_of(smtp_server) if "/sign-ons/confirm/" in link)
    assert client.post(path_of(confirm)).status_code == 200
    return SignOn.objects.get(name=fields.get("name", "Neighbourhood Readers' Association"))


def test_the_statement_page_links_to_the_sign_on_form(client, open_statement):
    page = client.get(f"/statements/{open_statement.statement.slug}/").content.decode()
    assert sign_on_url(open_statement) in page
    form = client.get(sign_on_url(open_statement))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.content.decode()


def test_a_sign_on_is_stored_pending_sealed_and_mailed(client, open_statement, smtp_server, run_tasks):
    response = client.post(
        sign_on_url(open_statement), {**sign_on_data(open_statement), "logo": io.BytesIO(png_bytes())}
    )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    sign_on = SignOn.objects.get()
    assert sign_on.status == SignOn.Status.PENDING
    assert sign_on.logo is not None and Logo.objects.count() == 1
    assert sign_on.website_domain == "readers.example.org"
    contact = json.loads(open_sealed(bytes(sign_on.sealed_contact), open_statement.identity))
    assert contact["email"] == "rosa@readers.example.org"
    assert contact["name"] == "Rosa Contact" and contact["role"] == "Coordinator"
    # Nothing about the contact in the clear.
    clear = " ".join(
        str(value) for field, value in vars(sign_on).items() if field not in {"sealed_contact", "notice_address"}
    )
    assert "rosa" not in clear.lower() and "Coordinator" not in clear
    assert b"rosa@" not in bytes(sign_on.notice_address)
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "rosa@readers.example.org"


def test_confirming_needs_the_post_and_twice_is_harmless(client, open_statement, smtp_server, run_tasks):
    submit(client, open_statement)
    run_tasks()
    confirm = path_of(next(link for link in links_of(smtp_server) if "/sign-ons/confirm/" in link))
    assert client.get(confirm).status_code == 200  # a mail scanner opening the link
    assert SignOn.objects.get().status == SignOn.Status.PENDING
    assert "review" in client.post(confirm).content.decode()
    assert client.post(confirm).status_code == 200
    sign_on = SignOn.objects.get()
    assert sign_on.status == SignOn.Status.AWAITING_MODERATION and sign_on.confirmed_at is not None
    assert not SignOnTally.objects.exists()  # not counted before review


def test_an_editor_approves_and_the_organisation_appears_under_its_country(
    client, open_statement, smtp_server, run_tasks
):
    confirmed_sign_on(client, open_statement, smtp_server, run_tasks, contact_email="rosa@readers.example.org")
    client.cookies.clear()
    staff_login(client, editor(open_statement.commission))
    queue = client.get("/staff/sign-ons/")
    assert queue.status_code == 200 and "Neighbourhood Readers" in queue.content.decode()
    sign_on = SignOn.objects.get()
    response = client.post("/staff/sign-ons/", {"approve_one": sign_on.pk})
    assert response.status_code == 302
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.APPROVED and sign_on.notice_address in (b"", memoryview(b""))
    page = client.get(f"/statements/{open_statement.statement.slug}/").content.decode()
    section = page.split('id="organisations"', 1)[1]
    assert "Spain" in section and "Neighbourhood Readers" in section
    assert "1 organisation has signed on" in section
    run_tasks()
    approved = smtp_server.messages[-1]
    assert "published" in approved["Subject"] and approved["To"] == "rosa@readers.example.org"
    call_command("verify_tally", verbosity=0)


def test_the_outcome_mail_is_in_the_language_the_contact_signed_on_in(client, open_statement, smtp_server, run_tasks):
    client.cookies["django_language"] = "fr"
    response = client.post(sign_on_url(open_statement), sign_on_data(open_statement), headers={"accept-language": "fr"})
    assert response.status_code == 200
    assert SignOn.objects.get().language == "fr"
    sign_on = SignOn.objects.get()
    SignOn.objects.filter(pk=sign_on.pk).update(status=SignOn.Status.AWAITING_MODERATION)
    sign_ons_approve(actor=editor(open_statement.commission), sign_on_ids=[sign_on.pk])
    run_tasks()
    html = smtp_server.messages[-1].get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr"' in html


def test_a_rejection_needs_a_reason_and_sends_it(client, open_statement, smtp_server, run_tasks):
    sign_on = confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    staff_login(client, editor(open_statement.commission))
    refused = client.post("/staff/sign-ons/", {"chosen": [sign_on.pk], "action": "reject", "reason": "  "})
    assert refused.status_code == 400 and "Give a reason" in refused.content.decode()
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.AWAITING_MODERATION
    done = client.post(
        "/staff/sign-ons/", {"chosen": [sign_on.pk], "action": "reject", "reason": "Not an organisation."}
    )
    assert done.status_code == 302
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.REJECTED and sign_on.rejection_reason == "Not an organisation."
    run_tasks()
    assert "Not an organisation." in smtp_server.text_of(smtp_server.messages[-1])
    assert not SignOnTally.objects.filter(approved__gt=0).exists()


def test_bulk_approval_counts_each_once_and_skips_the_decided(client, open_statement, smtp_server, run_tasks):
    for number, country in enumerate(["ES", "ES", "MA"]):
        confirmed_sign_on(
            client,
            open_statement,
            smtp_server,
            run_tasks,
            name=f"Readers Circle {number}",
            country=country,
            website=f"https://circle{number}.example",
            contact_email=f"c{number}@circle{number}.example",
        )
    ids = list(SignOn.objects.order_by("pk").values_list("pk", flat=True))
    actor = editor(open_statement.commission)
    assert sign_ons_approve(actor=actor, sign_on_ids=ids[:1]).changed == 1
    outcome = sign_ons_approve(actor=actor, sign_on_ids=ids)
    assert (outcome.changed, outcome.skipped) == (2, 1)
    totals = {(row.country, row.approved) for row in SignOnTally.objects.all()}
    assert totals == {("ES", 2), ("MA", 1)}
    call_command("verify_tally", verbosity=0)


def test_editors_of_other_bodies_and_translators_cannot_review(
    client, open_statement, mobility, smtp_server, run_tasks
):
    sign_on = confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    staff_login(client, editor(mobility))
    assert "Neighbourhood Readers" not in client.get("/staff/sign-ons/").content.decode()
    # Another body's sign-on is refused exactly as one that does not exist: not theirs to choose.
    refusals = [client.post("/staff/sign-ons/", {"approve_one": pk}) for pk in (sign_on.pk, sign_on.pk + 1000)]
    assert [refusal.status_code for refusal in refusals] == [400, 400]
    codes = [[error.code for error in refusal.context["form"].errors.as_data()["chosen"]] for refusal in refusals]
    assert codes == [["invalid_choice"], ["invalid_choice"]]
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.AWAITING_MODERATION
    client.logout()
    assert client.get("/staff/sign-ons/").status_code == 302  # to the sign-in page


def test_a_moderator_of_the_commission_reviews_and_a_viewer_may_not(client, open_statement, smtp_server, run_tasks):
    from undersigned.commissions.models import CommissionMembership
    from undersigned.testing import UserFactory

    sign_on = confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    viewer = UserFactory.create(email="vera@example.org")
    CommissionMembership.objects.create(commission=open_statement.commission, user=viewer, role="viewer")
    staff_login(client, viewer)
    assert client.get("/staff/sign-ons/").status_code == 403
    assert client.post("/staff/sign-ons/", {"approve_one": sign_on.pk}).status_code == 403
    moderator = UserFactory.create(email="mo@example.org")
    CommissionMembership.objects.create(commission=open_statement.commission, user=moderator, role="moderator")
    staff_login(client, moderator)
    assert "Neighbourhood Readers" in client.get("/staff/sign-ons/").content.decode()
    client.post("/staff/sign-ons/", {"approve_one": sign_on.pk})
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.APPROVED


def test_a_second_sign_on_by_the_same_organisation_is_refused(client, open_statement, smtp_server, run_tasks):
    submit(client, open_statement)
    again = submit(
        client, open_statement, name="  neighbourhood readers’ ASSOCIATION ", contact_email="other@example.org"
    )
    assert again.status_code == 409
    assert "already signed on" in again.content.decode()
    assert SignOn.objects.count() == 1
    # The same contact, before confirming, gets the confirmation again instead; a moment later
    # that is the form sent twice, and its first mail is on its way.
    twice = submit(client, open_statement)
    assert twice.status_code == 200 and "it is on its way" in twice.content.decode()
    run_tasks()
    assert len(smtp_server.messages) == 1 and SignOn.objects.count() == 1
    with time_machine.travel(timezone.now() + RESEND_AFTER + timedelta(seconds=1)):
        assert submit(client, open_statement).status_code == 200
    run_tasks()
    assert len(smtp_server.messages) == 2 and SignOn.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"website": "javascript:alert(1)"}, "Enter a valid URL"),
        ({"website": "not a url"}, "Enter a valid URL"),
        ({"name": "<b>Readers</b>"}, "cannot contain &lt; or &gt;"),
        ({"name": "🌿 🌿"}, "Enter a name with letters in it"),
        ({"contact_name": "<i>Rosa</i>"}, "cannot contain &lt; or &gt;"),
        ({"contact_name": "Rosa\u202eContact"}, "invisible control characters"),
        ({"contact_email": "rosa@nowhere"}, "valid email address"),
        ({"contact_email": "rosa@@example.org"}, "valid email address"),
        ({"country": "XX"}, "Choose your country"),
        ({"type": "999999"}, "Select a valid choice"),
        ({"consent": ""}, "Tick this box"),
        ({"name": "x" * 10_000}, "at most 200 characters"),
    ],
)
def test_bad_input_is_explained_and_stores_nothing(client, open_statement, fields, message):
    response = submit(client, open_statement, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SignOn.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", b"just some text", b""],
)
def test_a_logo_that_is_not_an_image_is_refused(client, open_statement, upload):
    data = {**sign_on_data(open_statement), "logo": io.BytesIO(upload or b"\x00")}
    data["logo"].name = "logo.png"
    response = client.post(sign_on_url(open_statement), data)
    assert response.status_code == 400
    assert "PNG, JPEG or WebP" in response.content.decode() or "damaged" in response.content.decode()
    assert not SignOn.objects.exists() and not Logo.objects.exists()


def test_a_huge_upload_is_refused_before_it_is_read(client, open_statement):
    response = client.post(
        sign_on_url(open_statement),
        {**sign_on_data(open_statement), "logo": io.BytesIO(b"\x89PNG" + b"\x00" * (3 * 1024 * 1024))},
    )
    assert response.status_code == 413
    assert "larger than 2 MB" in response.content.decode()
    assert not SignOn.objects.exists()


def test_forged_expired_and_foreign_links(client, open_statement, smtp_server, run_tasks, time_machine):
    submit(client, open_statement)
    sign_on = SignOn.objects.get()
    ref = SignOnRef(sign_on_id=sign_on.pk, statement_id=sign_on.statement_id)
    token = confirm_token(ref)
    assert client.post(f"/sign-ons/confirm/{token[:-2]}xx/").status_code == 404
    assert client.post(f"/sign-ons/confirm/{withdraw_token(ref)}/").status_code == 404  # wrong purpose
    foreign = signature_confirm_token(SignatureRef(signature_id=sign_on.pk, statement_id=sign_on.statement_id))
    assert client.post(f"/sign-ons/confirm/{foreign}/").status_code == 404  # a signature's link
    assert client.post(f"/sign-ons/withdraw/{token}/").status_code == 404
    time_machine.move_to(sign_on.created_at + timedelta(days=8))
    expired = client.post(f"/sign-ons/confirm/{token}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.PENDING


def test_withdrawing_an_approved_sign_on_takes_it_off_at_once(client, open_statement, smtp_server, run_tasks):
    sign_on = confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    sign_ons_approve(actor=editor(open_statement.commission), sign_on_ids=[sign_on.pk])
    statement_page = f"/statements/{open_statement.statement.slug}/"
    assert "Neighbourhood Readers" in client.get(statement_page).content.decode()
    withdraw = path_of(next(link for link in links_of(smtp_server, 0) if "/sign-ons/withdraw/" in link))
    assert client.get(withdraw).status_code == 200
    assert SignOn.objects.get().status == SignOn.Status.APPROVED  # opening the link changes nothing
    assert "no longer signs on" in client.post(withdraw).content.decode()
    sign_on.refresh_from_db()
    assert sign_on.status == SignOn.Status.WITHDRAWN and bytes(sign_on.sealed_contact) == b""
    assert "Neighbourhood Readers" not in client.get(statement_page).content.decode()
    assert sum(SignOnTally.objects.values_list("approved", flat=True)) == 0
    assert not sign_on_withdraw(sign_on_id=sign_on.pk, statement_id=sign_on.statement_id)
    call_command("verify_tally", verbosity=0)


def test_verify_tally_finds_a_sign_on_counter_edited_by_hand(client, open_statement, smtp_server, run_tasks):
    sign_on = confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    sign_ons_approve(actor=secretariat(), sign_on_ids=[sign_on.pk])
    SignOnTally.objects.update(approved=5)
    with pytest.raises(CommandError, match="disagree"):
        call_command("verify_tally", verbosity=0)


def test_the_queue_flags_a_sign_on_with_the_same_website(client, open_statement, smtp_server, run_tasks):
    confirmed_sign_on(client, open_statement, smtp_server, run_tasks)
    confirmed_sign_on(
        client,
        open_statement,
        smtp_server,
        run_tasks,
        name="Readers Association of the Neighbourhood",
        contact_email="another@readers.example.org",
    )
    entries = review_queue(
        editor(open_statement.commission), status=SignOn.Status.AWAITING_MODERATION, statement_id=None
    )
    assert all(any("Same website" in flag for flag in entry.flags) for entry in entries)
    assert len(entries) == 2


def test_a_sign_on_another_site_started_is_refused(open_statement):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    posted = browser.post(
        sign_on_url(open_statement), sign_on_data(open_statement), headers={"sec-fetch-site": "cross-site"}
    )
    assert posted.status_code == 403
    assert not SignOn.objects.exists()


def test_the_service_refuses_a_name_without_letters_that_skipped_the_form(open_statement):
    """The API reaches the service without the form: the same rule for names holds there."""
    from undersigned.organisations.services.names import check_name

    with pytest.raises(DomainError) as refused:
        check_name("🌿 -- 🌿", "The organisation's name")
    assert refused.value.code == "not_a_name"
    assert check_name("  Lecteurs  de  Lyon ", "The organisation's name") == "Lecteurs de Lyon"
