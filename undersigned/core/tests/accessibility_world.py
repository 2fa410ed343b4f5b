"""A site with something on every page, for the accessibility and HTML checks.

The demo content (a federation in four languages, two commissions, published statements with
translations, member organisations and their sign-ons, two staff accounts with a second factor)
and, through the services, what the demo has not: solidarity actions (one waiting for review), a
signature waiting for confirmation and a confirmed one, a sign-on waiting for its contact's
confirmation, a second revision with a change note, a delivery with an answer, and a staff account
without a second factor yet. The personal links are made with the link makers, as the emails carry
them.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image, ImageDraw

from undersigned.accounts.models import User
from undersigned.accounts.services import staff_user_create
from undersigned.actions.models import SolidarityAction
from undersigned.actions.services import (
    ACTION_FORM_TIMER,
    ActionInput,
    ReporterInput,
    action_record,
    action_report_by_organisation,
)
from undersigned.actions.tokens import ActionRef, confirm_action_token, withdraw_action_token
from undersigned.deliveries.models import Target
from undersigned.deliveries.services import ResponseInput, TargetInput, delivery_create, response_record, target_add
from undersigned.demo.services import (
    DEMO_AUTHENTICATOR_KEY,
    DEMO_MEMBER_DOMAIN,
    SECRETARIAT_EMAIL,
    SECRETARIAT_PASSWORD,
    demo_load,
)
from undersigned.ledger import tlog
from undersigned.ledger.models import LogWitness
from undersigned.ledger.witness_services import witness_add, witness_set_active
from undersigned.organisations.models import Organisation, OrganisationType, SignOn
from undersigned.organisations.services.sign_ons import SignOnInput, sign_on_record
from undersigned.organisations.tokens import SignOnRef, sign_in_token
from undersigned.organisations.tokens import confirm_token as sign_on_confirm_token
from undersigned.organisations.tokens import withdraw_token as sign_on_withdraw_token
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SignerInput, signature_confirm, signature_record, signature_withdraw
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token
from undersigned.statements.models import Statement
from undersigned.statements.services import TextInput, text_save_and_publish, translation_offer
from undersigned.testing import TEST_PASSWORD

SLUG = "library-opening-hours"
CLOSED_SLUG = "winter-reading-rooms"
SIGNER_EMAIL = "reader@example.org"
ENROLLING_EMAIL = "tove@example.org"


@dataclass(frozen=True)
class World:
    slug: str
    closed_slug: str
    staff_email: str
    staff_password: str
    staff_authenticator_key: str
    enrolling_email: str
    enrolling_password: str
    signature_confirm_token: str
    signature_withdraw_token: str
    second_signature_withdraw_token: str
    withdrawn_signature_confirm_token: str
    data_token: str
    sign_on_confirm_token: str
    sign_on_withdraw_token: str
    action_confirm_token: str
    action_withdraw_token: str
    member_sign_in_token: str
    password_reset_path: str
    target_pk: int
    organisation_pk: int


def _signature(statement: Statement, *, name: str, email: str, country: str, confirm: bool) -> Signature:
    revision = statement.texts.get(language=statement.original_language).published_revision
    assert revision is not None
    signature_record(
        statement=statement,
        revision=revision,
        signer=SignerInput(name=name, email=email, country=country, city="Lyon", affiliation="Reading circle"),
        network_hash=email_hash(email),
        language="en",
        proof_of_work=False,
    )
    signature = Signature.objects.get(statement=statement, email_hash=email_hash(email))
    if confirm:
        signature = signature_confirm(signature_id=signature.pk, statement_id=statement.pk)
    return signature


def _witnesses(sam: User) -> None:
    """A witness that refuses the log's checkpoints (its problem as ``witnessing`` records it), so
    the dashboard's alert is shown, and one set aside."""
    for name in ("witness.example/refusing", "witness.example/retired"):
        key = tlog.Signer.generate(name).verifier
        vkey = tlog.Verifier(name, tlog.COSIGNATURE_V1, key.public_key).vkey
        witness_add(actor=sam, vkey=vkey, url=f"https://{name.replace('/', '.')}/submission")
    LogWitness.objects.filter(name="witness.example/refusing").update(
        problem="refused (422): the consistency proof does not verify",
        problem_since=timezone.now() - dt.timedelta(hours=2),
        last_attempt_at=timezone.now(),
    )
    retired = LogWitness.objects.get(name="witness.example/retired")
    witness_set_active(actor=sam, witness_id=retired.pk, active=False)


def _photo_of_a_hall() -> bytes:
    """A JPEG as a phone sends it: a view of an empty hall, with the camera's EXIF."""
    image = Image.new("RGB", (1200, 800), (235, 225, 205))
    ImageDraw.Draw(image).rectangle((100, 500, 1100, 700), fill=(120, 80, 50))
    exif = Image.Exif()
    exif[0x0110] = "Accessibility Camera"
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def _actions(statement: Statement) -> None:
    """A forum held today, with a photo, and a re-publication planned, with a link, a figure and an
    Arabic text."""
    reading_room = Organisation.objects.get(website_domain=DEMO_MEMBER_DOMAIN)
    today = timezone.localdate()
    action_record(
        statement=statement,
        organisation=reading_room,
        data=ActionInput(
            kind="forum",
            date=today,
            city="Lyon",
            country="FR",
            description="A public forum on opening hours in the library's hall.\nReaders and staff spoke.",
            description_language="en",
            link="https://www.reading-room.example/forum",
            participants=60,
            photo=_photo_of_a_hall(),
        ),
    )
    action_record(
        statement=statement,
        organisation=reading_room,
        data=ActionInput(
            kind="republication",
            date=today + dt.timedelta(days=14),
            city="Casablanca",
            country="MA",
            description="نشر البيان في نشرتنا الشهرية.",
            description_language="ar",
        ),
    )
    # And one waiting for the editors' review, whether or not the commission lets members skip it.
    waiting = action_record(
        statement=statement,
        organisation=reading_room,
        data=ActionInput(
            kind="vigil",
            date=today,
            city="Lyon",
            country="FR",
            description="A vigil in front of the town hall, with readings of the statement.",
            description_language="en",
            link="https://www.reading-room.example/vigil",
            participants=25,
        ),
    )
    SolidarityAction.objects.filter(pk=waiting.pk).update(
        status=SolidarityAction.Status.AWAITING_MODERATION, reviewed_at=None
    )


def _action_by_another_organisation(statement: Statement) -> SolidarityAction:
    """A report through the public form, waiting for its contact's confirmation."""
    return action_report_by_organisation(
        statement=statement,
        reporter=ReporterInput(
            organisation_name="Harbour Community Choir",
            contact_name="Lin Contact",
            contact_role="Secretary",
            contact_email="lin@harbour-choir.example",
        ),
        data=ActionInput(
            kind="vigil",
            date=timezone.localdate(),
            city="Porto",
            country="PT",
            description="An evening vigil by the river.",
        ),
        started=ACTION_FORM_TIMER.started_token(drawn_at=time.time() - 60),
        honeypot="",
        network_hash="accessibility",
        language="en",
    )


def build_world() -> World:
    demo_load()
    sam = User.objects.get(email=SECRETARIAT_EMAIL)
    statement = Statement.objects.get(slug=SLUG)
    original = statement.texts.get(language=statement.original_language)
    revision = original.published_revision
    assert revision is not None

    # A second revision, so the history has a change note and the revision page a difference.
    values = TextInput(
        title=revision.title,
        body=revision.body.replace("evening", "evening and on Sundays", 1) + "\n\nOn Sundays too.",
        dateline_date=revision.dateline_date,
        dateline_place=revision.dateline_place,
        headline_calls=list(revision.headline_calls),
        call_to_action=revision.call_to_action,
    )
    original.statement = statement
    text_save_and_publish(actor=sam, text=original, values=values, change_note="Adds Sundays.")

    confirmed = _signature(statement, name="Ana Pérez", email=SIGNER_EMAIL, country="FR", confirm=True)
    second = _signature(statement, name="عمر الفاروق", email="omar@example.org", country="MA", confirm=True)
    pending = _signature(statement, name="Bo Berg", email="bo@example.org", country="SE", confirm=False)
    # Withdrawn before its confirmation: its confirmation link leads to a refusal.
    withdrawn = _signature(statement, name="Cy Lee", email="cy@example.org", country="KR", confirm=False)
    signature_withdraw(signature_id=withdrawn.pk, statement_id=statement.pk)

    statement.refresh_from_db()
    revision = statement.texts.get(language=statement.original_language).published_revision
    assert revision is not None
    waiting = sign_on_record(
        statement=statement,
        revision=revision,
        data=SignOnInput(
            name="Harbour Reading Club",
            country="ES",
            type=OrganisationType.objects.get(code="association"),
            website="https://harbour-reading.example/",
            contact_name="Rosa Contact",
            contact_role="Coordinator",
            contact_email="rosa@harbour-reading.example",
        ),
        network_hash="c" * 64,
        language="en",
    )
    endorsed = SignOn.objects.filter(statement=statement, status=SignOn.Status.APPROVED).first()
    assert endorsed is not None

    target = target_add(
        actor=sam,
        statement=statement,
        target=TargetInput(
            name="Claire Dupont",
            role="Minister of Culture",
            organisation="Government",
            email="claire.dupont@culture.example",
            language="fr",
        ),
    )
    delivery_create(
        actor=sam, statement=statement, covering_text="Dear Minister,", seen_deliveries=0, again_today=False
    )
    response_record(
        actor=sam,
        statement=statement,
        response=ResponseInput(
            target_id=target.pk,
            who="",
            responded_on=timezone.localdate() - dt.timedelta(days=1),
            text="Thank you for the statement; the ministry will study it.",
            link="",
            language="en",
        ),
    )
    # A second target, not yet delivered to, so the targets' table has both kinds of row.
    target_add(
        actor=sam,
        statement=statement,
        target=TargetInput(
            name="Jonas Berg", role="Mayor", organisation="City council", email="mayor@city.example", language="en"
        ),
    )

    _actions(statement)
    reported = _action_by_another_organisation(statement)
    action_ref = ActionRef(action_id=reported.pk, statement_id=statement.pk)
    # A translation a member organisation offered, waiting for the editors: on the member's page,
    # the staff workspace and the statement's staff page.
    translation_offer(
        statement=statement,
        organisation=Organisation.objects.get(website_domain=DEMO_MEMBER_DOMAIN),
        language="fa",
        text=TextInput(title="بیانیه درباره ساعات کار کتابخانه‌ها", body="کتابخانه‌ها باید عصرها باز باشند."),
    )
    _witnesses(sam)
    staff_user_create(email=ENROLLING_EMAIL, full_name="Tove Translator", password=TEST_PASSWORD, is_secretariat=True)

    return World(
        slug=SLUG,
        closed_slug=CLOSED_SLUG,
        staff_email=SECRETARIAT_EMAIL,
        staff_password=SECRETARIAT_PASSWORD,
        staff_authenticator_key=DEMO_AUTHENTICATOR_KEY,
        enrolling_email=ENROLLING_EMAIL,
        enrolling_password=TEST_PASSWORD,
        signature_confirm_token=confirm_token(SignatureRef(signature_id=pending.pk, statement_id=statement.pk)),
        signature_withdraw_token=withdraw_token(SignatureRef(signature_id=confirmed.pk, statement_id=statement.pk)),
        second_signature_withdraw_token=withdraw_token(SignatureRef(signature_id=second.pk, statement_id=statement.pk)),
        withdrawn_signature_confirm_token=confirm_token(
            SignatureRef(signature_id=withdrawn.pk, statement_id=statement.pk)
        ),
        data_token=data_link_token(PersonRef.of_address(SIGNER_EMAIL)),
        sign_on_confirm_token=sign_on_confirm_token(SignOnRef(sign_on_id=waiting.pk, statement_id=statement.pk)),
        sign_on_withdraw_token=sign_on_withdraw_token(SignOnRef(sign_on_id=endorsed.pk, statement_id=statement.pk)),
        action_confirm_token=confirm_action_token(action_ref),
        action_withdraw_token=withdraw_action_token(action_ref),
        member_sign_in_token=sign_in_token(f"contact@{DEMO_MEMBER_DOMAIN}"),
        password_reset_path=(
            f"/accounts/password-reset/{urlsafe_base64_encode(force_bytes(sam.pk))}/"
            f"{default_token_generator.make_token(sam)}/"
        ),
        target_pk=Target.objects.filter(statement=statement).order_by("pk").values_list("pk", flat=True)[0],
        organisation_pk=Organisation.objects.order_by("pk").values_list("pk", flat=True)[0],
    )
