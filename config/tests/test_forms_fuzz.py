"""Hypothesis against every HTML form of the site, public and staff, and the query strings of its
list pages: no answer is a server error, and a refused request changes no stored row.

Every named address of the URL conf is either fuzzed here (a form's POST, or a page's GET with
generated query strings) or named in ``NOT_FUZZED`` with the reason; a test checks that nothing is
left out. Each form's fields are read from the page that draws it (its inputs, types, options,
lengths, hidden values, submit buttons), and the cases are generated from them: the page's own
values with one to three fields changed, or every field generated; values valid for their type,
at their length limits, of the wrong type, very long, with NUL bytes, right-to-left marks, emoji,
surrogates as raw bytes or invalid UTF-8; fields missing or sent twice, unknown ones added; files
where the form takes one. Public forms' bot checks are passed by a share of the cases (a form
timer drawn ten seconds ago, an empty honeypot, no or the site's own Origin), so the rules behind
them are reached; rate limits are raised for the run.

Each case runs in a savepoint rolled back afterwards, so every case starts from the same stored
data. A case is refused when it answers 4xx, queues an error message, or draws a bound form with
errors. For a refused case, every statement the case sent to the database is watched; if one
wrote to a table outside ``VOLATILE_TABLES`` (or one could not be told apart from a read), the
checksums of the domain tables (row count and a hash of every row's values, less
``VOLATILE_COLUMNS``) must equal those taken before the first case.

The cases actually run are counted per form, and the declared numbers must add up to
``MIN_CASES`` per database pass, so the count cannot drop silently.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from undersigned.accounts.enrolment import ALLOWED_SESSION_KEY
from undersigned.actions.models import SolidarityAction
from undersigned.actions.photos import photo_store, process_photo
from undersigned.actions.services import (
    ACTION_FORM_TIMER,
    ActionInput,
    ReporterInput,
    action_report_by_organisation,
)
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.actions.tokens import ActionRef, confirm_action_token, withdraw_action_token
from undersigned.api.models import Scope
from undersigned.api.services import token_create
from undersigned.core import process_caches, ratelimit
from undersigned.core.bot_check import FormTimer
from undersigned.deliveries.services import TargetInput, delivery_create, target_add
from undersigned.exports.services import file_request
from undersigned.ledger import tlog
from undersigned.ledger.services import seal_pending
from undersigned.ledger.witness_services import witness_add
from undersigned.organisations.models import SignOn
from undersigned.organisations.services.directory import contact_add
from undersigned.organisations.services.sign_ons import SIGN_ON_FORM_TIMER
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tokens import SignOnRef, sign_in_token
from undersigned.organisations.tokens import confirm_token as sign_on_confirm_token
from undersigned.organisations.tokens import withdraw_token as sign_on_withdraw_token
from undersigned.privacy.services import DATA_LINK_FORM_TIMER
from undersigned.privacy.tests.conftest import signed_on
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token
from undersigned.statements.services import TextInput, statement_close, translation_offer
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import UserFactory, current_code, drawn_form_token, editor, secretariat, staff_login

pytestmark = pytest.mark.django_db

# At least this many cases per database pass, with schemathesis's (test_schema_fuzz) over 10,000.
MIN_CASES = 7_500

# Written by requests that are refused, by design: what they hold is bookkeeping of the requests
# themselves, not the site's data.
VOLATILE_TABLES = {
    # Sessions: a refused sign-in or a message for the next page is kept in the visitor's session.
    "django_session",
    # Rate-limit counters: a refused attempt is counted; that is the limit working.
    "core_ratelimitcounter",
    # A staff session's last request, for the idle timeout; written on every signed-in request.
    "accounts_staffsession",
}
# Columns that django-otp writes on a wrong code (its throttling) or a use, by design.
VOLATILE_COLUMNS = {
    "otp_totp_totpdevice": {"throttling_failure_timestamp", "throttling_failure_count", "last_used_at", "last_t"},
    "otp_static_staticdevice": {"throttling_failure_timestamp", "throttling_failure_count", "last_used_at"},
}


# --- The site the forms act on ----------------------------------------------------------------------


@dataclass
class World:
    """What the forms are filled in about, built once per test through the services."""

    signed: OpenStatement
    translated_slug: str
    closed_slug: str
    organisation_id: int
    contact_id: int
    target_id: int
    recipient_id: int
    token_id: int
    links: dict[str, str]
    users: dict[str, Any]


@pytest.fixture
def fast_passwords(settings) -> None:
    """Argon2 (the site's hasher) takes a good part of a second per check: the sign-in and password
    forms' cases would take most of the run. What is fuzzed is the forms, not the hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(libraries, mobility, fast_passwords) -> World:
    from undersigned.organisations.types import ensure_builtin_types

    ensure_builtin_types()
    sam = secretariat()
    eli = editor(libraries)
    TOTPDevice.objects.create(user=sam, name="authenticator", confirmed=True)
    newcomer = UserFactory.create(email="nia@example.org", full_name="Nia Newcomer", is_secretariat=True)
    signed = build_open_statement(libraries)
    confirmed = sign(signed, email="ana@example.org", name="Ana Pérez", country="FR", wants_updates=True, confirm=True)
    sign(signed, email="ben@example.org", name="Ben Braun", country="DE", confirm=True)
    pending = sign(signed, email="cleo@example.org", name="Cleo Pending", country="ES")
    approved = signed_on(signed, contact_email="rosa@readers.example.org", approve_by=sam)
    signed_on(signed, contact_email="omar@friends.example.org", name="Friends of the Library")
    from undersigned.organisations.services.sign_ons import SignOnInput, sign_on_record
    from undersigned.organisations.types import OrganisationType

    unconfirmed = sign_on_record(
        statement=signed.statement,
        revision=signed.revision,
        data=SignOnInput(
            name="Unconfirmed Society",
            country="PT",
            type=OrganisationType.objects.get(code="association"),
            website="",
            contact_name="Una Contact",
            contact_role="Chair",
            contact_email="una@unconfirmed.example.org",
        ),
        network_hash="c" * 64,
        language="en",
    )
    translated = published_statement(libraries, slug="safe-streets", translations=("fr", "ar"))
    closed = published_statement(mobility, slug="closed-consultation", translations=())
    statement_close(actor=None, statement=closed)
    organisation = member_organisation()
    # A translation another member organisation offered, for the staff page's form that declines it.
    translation_offer(
        statement=signed.statement,
        organisation=member_organisation(name="Harbour Readers", domain="harbour-readers.example"),
        language="de",
        text=TextInput(title="Erklärung zu den Öffnungszeiten", body="Die Bibliotheken sollen abends öffnen."),
    )
    contact = contact_add(
        actor=sam, organisation=organisation, name="Mina Member", role="Director", email="mina@reading-room.example"
    )
    target = target_add(
        actor=None,
        statement=signed.statement,
        target=TargetInput(
            name="Minister", role="Minister", organisation="Government", email="minister@gov.example", language="en"
        ),
    )
    delivery = delivery_create(
        actor=None, statement=signed.statement, covering_text="Dear Minister,", seen_deliveries=0, again_today=False
    )
    # An action waiting for review, with a photo, for the editors' queue.
    SolidarityActionFactory(
        statement=signed.statement,
        organisation=organisation,
        status=SolidarityAction.Status.AWAITING_MODERATION,
        link="https://www.reading-room.example/forum",
        participants=30,
        photo=photo_store(process_photo(_jpeg(64, 48))),
    )
    # A report by an organisation that is not a member, waiting for its contact's confirmation.
    reported = action_report_by_organisation(
        statement=signed.statement,
        reporter=ReporterInput(
            organisation_name="Harbour Community Choir",
            contact_name="Lin Contact",
            contact_role="Secretary",
            contact_email="lin@harbour-choir.example",
        ),
        data=ActionInput(kind="vigil", date=timezone.localdate(), city="Porto", country="PT", description="A vigil."),
        started=ACTION_FORM_TIMER.started_token(drawn_at=time.time() - 60),
        honeypot="",
        network_hash="d" * 64,
        language="en",
    )
    # An approved one, so the delivery form offers to mention the actions.
    SolidarityActionFactory(statement=signed.statement, organisation=organisation)
    seal_pending()  # as the worker would: the delivery pages' counts (and PDF) stay those of now
    token = token_create(user=sam, name="weekly counts", scopes=list(Scope.values), days=30)
    witness_add(actor=sam, vkey=_witness_vkey("witness.example/one"), url="https://witness.example.org/submission")
    signature_ref = SignatureRef(signature_id=pending.pk, statement_id=signed.statement.pk)
    confirmed_ref = SignatureRef(signature_id=confirmed.pk, statement_id=signed.statement.pk)
    links = {
        "signature_confirm": confirm_token(signature_ref),
        "signature_withdraw": withdraw_token(confirmed_ref),
        "sign_on_confirm": sign_on_confirm_token(
            SignOnRef(sign_on_id=unconfirmed.pk, statement_id=signed.statement.pk)
        ),
        "sign_on_withdraw": sign_on_withdraw_token(SignOnRef(sign_on_id=approved.pk, statement_id=signed.statement.pk)),
        "action_confirm": confirm_action_token(ActionRef(action_id=reported.pk, statement_id=signed.statement.pk)),
        "action_withdraw": withdraw_action_token(ActionRef(action_id=reported.pk, statement_id=signed.statement.pk)),
        "your_data": data_link_token(PersonRef.of_address("ana@example.org")),
        "member_sign_in": sign_in_token("mina@reading-room.example"),
        "password_reset_uid": urlsafe_base64_encode(force_bytes(sam.pk)),
        "password_reset_token": default_token_generator.make_token(sam),
    }
    assert SignOn.objects.filter(statement=signed.statement).count() == 3
    return World(
        signed=signed,
        translated_slug=translated.slug,
        closed_slug=closed.slug,
        organisation_id=organisation.pk,
        contact_id=contact.pk,
        target_id=target.pk,
        recipient_id=delivery.recipients.get().pk,
        token_id=token.token.pk,
        links=links,
        users={"sam": sam, "eli": eli, "newcomer": newcomer},
    )


def _witness_vkey(name: str) -> str:
    """A witness's cosignature key (type 0x04), as a witness publishes it."""
    public_key = tlog.Signer.generate(name).verifier.public_key
    return tlog.Verifier(name, tlog.COSIGNATURE_V1, public_key).vkey


# --- Forms, as the page draws them ------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an input's type, "select", "textarea", "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    max_length: int | None = None
    multiple: bool = False
    checked: bool = False


@dataclass
class DrawnForm:
    action: str
    method: str
    multipart: bool
    fields: list[Field] = field(default_factory=list)

    def by_name(self) -> dict[str, list[Field]]:
        named: dict[str, list[Field]] = {}
        for each in self.fields:
            named.setdefault(each.name, []).append(each)
        return named


class FormReader(HTMLParser):
    """The forms of a page: action, method, encoding, and each named control."""

    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[DrawnForm] = []
        self._form: DrawnForm | None = None
        self._forms_by_id: dict[str, DrawnForm] = {}
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = DrawnForm(
                action=named.get("action") or self.page_path,
                method=(named.get("method") or "get").lower(),
                multipart="multipart" in named.get("enctype", ""),
            )
            self.forms.append(self._form)
            if named.get("id"):
                self._forms_by_id[named["id"]] = self._form
            return
        if tag == "option" and self._select is not None:
            self._select.options.append(named.get("value", ""))
            if "selected" in named:
                self._select.value = named.get("value", "")
            return
        # A control outside its form names it by id in its ``form`` attribute (drawn before it).
        owner = self._forms_by_id.get(named["form"]) if named.get("form") else self._form
        if owner is None or "name" not in named:
            return
        length = int(named["maxlength"]) if named.get("maxlength", "").isdigit() else None
        if tag == "input":
            kind = named.get("type", "text").lower()
            if kind == "hidden" and named.get("inputmode") == "numeric":
                kind = "number"
            if named.get("inputmode") == "numeric" and kind == "text":
                kind = "number"
            owner.fields.append(
                Field(named["name"], kind, named.get("value", ""), max_length=length, checked="checked" in named)
            )
        elif tag == "button" and named.get("name"):
            owner.fields.append(Field(named["name"], "button", named.get("value", "")))
        elif tag == "select":
            self._select = Field(named["name"], "select", multiple="multiple" in named)
            owner.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(named["name"], "textarea", max_length=length)
            owner.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None


def drawn_forms(html: str, page_path: str) -> list[DrawnForm]:
    reader = FormReader(page_path)
    reader.feed(html)
    return reader.forms


# --- Who fills them in ------------------------------------------------------------------------------


def _client_for(role: str, world: World) -> Client:
    """A client signed in as the form's user would be: a verified secretariat member (``sam``), an
    editor of the statement's commission (``eli``), a signed-in member of staff who has not typed
    the code yet (``unverified``), one setting up the second factor (``newcomer``) or not yet
    allowed to (``newcomer_by_mail``), a member organisation's contact (``member``), someone in
    the middle of a password reset (``reset``), or nobody (``public``)."""
    client = Client()
    users = world.users
    if role in {"sam", "eli"}:
        staff_login(Client(), users[role])  # a session elsewhere, for the page to offer to end it
        staff_login(client, users[role])
    elif role == "unverified":
        client.force_login(users["sam"])
    elif role in {"newcomer", "newcomer_by_mail"}:
        client.force_login(users["newcomer"])
        if role == "newcomer":
            session = client.session
            session[ALLOWED_SESSION_KEY] = users["newcomer"].pk
            session.save()
    elif role == "member":
        answer = client.post(reverse("organisations:member_sign_in_link", args=[world.links["member_sign_in"]]))
        assert answer.status_code == 302, answer.status_code
    elif role == "reset":
        link = reverse(
            "accounts:password_reset_confirm",
            args=[world.links["password_reset_uid"], world.links["password_reset_token"]],
        )
        answer = client.get(link)
        assert answer.status_code == 302, answer.status_code
    return client


# --- The forms fuzzed -------------------------------------------------------------------------------


Path = Callable[[World], str]


def _slug(world: World) -> str:
    return world.signed.statement.slug


@dataclass(frozen=True)
class FormCase:
    """One form: the address it posts to (``action``, by URL name), the page that draws it, who
    fills it in, the timer of a public form, values that pass the form's own rules (beside what
    the page drew), and how many cases to run."""

    action: str
    page: Path
    role: str = "sam"
    examples: int = 200
    timer: FormTimer | None = None
    valid: Callable[[World], dict[str, str]] = lambda world: {}
    # Fields a form has that its page does not draw (a form the page shows only in another state).
    extra_fields: tuple[Field, ...] = ()
    # Where the form posts when its page does not draw it (with ``extra_fields``).
    action_path: Path | None = None

    @property
    def id(self) -> str:
        return f"{self.action}-{self.role}"


def _statement_page(world: World) -> str:
    return reverse("statements:read", args=[_slug(world)])


def _staff_statement(world: World) -> str:
    return reverse("staff:statement", args=[_slug(world)])


def _delivery_page(world: World) -> str:
    return reverse("staff:delivery", args=[_slug(world)])


def _organisation_page(world: World) -> str:
    return reverse("staff:organisation_edit", args=[world.organisation_id])


def _records_page(world: World) -> str:
    return reverse("privacy:records", args=[world.links["your_data"]])


SIGNER = {"name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "name_shown": "full", "website": ""}
SIGN_ON = {
    "name": "Neighbourhood Readers",
    "country": "ES",
    "website": "https://readers.example.org",
    "contact_name": "Rosa Contact",
    "contact_role": "Coordinator",
    "contact_email": "rosa@readers.example.org",
    "consent": "on",
}

ACTION_REPORTER = {
    "organisation_name": "Harbour Community Choir",
    "organisation_website": "https://harbour-choir.example",
    "contact_name": "Lin Contact",
    "contact_role": "Secretary",
    "contact_email": "lin@harbour-choir.example",
}

TRANSLATION_OFFER = {
    "language": "es",
    "title": "Declaración sobre el horario de las bibliotecas",
    "headline_calls": "¡Bibliotecas abiertas!",
    "body": "La Comisión pide que las bibliotecas abran por la tarde.",
}
ACTION = {
    "kind": "rally",
    "city": "Lyon",
    "country": "FR",
    "description": "A rally in front of the town hall.",
    "description_language": "fr",
    "link": "https://www.reading-room.example/rally",
    "participants": "120",
}

FORMS = [
    # Public forms
    FormCase("signatures:sign", _statement_page, "public", 300, SIGN_FORM_TIMER, lambda world: SIGNER),
    FormCase(
        "organisations:sign_on",
        lambda world: reverse("organisations:sign_on", args=[_slug(world)]),
        "public",
        250,
        SIGN_ON_FORM_TIMER,
        lambda world: SIGN_ON,
    ),
    FormCase(
        "privacy:request",
        lambda world: reverse("privacy:request"),
        "public",
        150,
        DATA_LINK_FORM_TIMER,
        lambda world: {"email": "ana@example.org"},
    ),
    FormCase("privacy:withdraw", _records_page, "public", 120),
    FormCase("privacy:stop_updates", _records_page, "public", 100),
    FormCase("privacy:erase", _records_page, "public", 120),
    FormCase(
        "signatures:confirm",
        lambda world: reverse("signatures:confirm", args=[world.links["signature_confirm"]]),
        "public",
        100,
    ),
    FormCase(
        "signatures:withdraw",
        lambda world: reverse("signatures:withdraw", args=[world.links["signature_withdraw"]]),
        "public",
        100,
    ),
    FormCase(
        "organisations:confirm",
        lambda world: reverse("organisations:confirm", args=[world.links["sign_on_confirm"]]),
        "public",
        100,
    ),
    FormCase(
        "organisations:withdraw",
        lambda world: reverse("organisations:withdraw", args=[world.links["sign_on_withdraw"]]),
        "public",
        100,
    ),
    FormCase(
        "organisations:member_sign_in",
        lambda world: reverse("organisations:member_sign_in"),
        "public",
        120,
        valid=lambda world: {"email": "mina@reading-room.example"},
    ),
    FormCase(
        "organisations:member_sign_in_link",
        lambda world: reverse("organisations:member_sign_in_link", args=[world.links["member_sign_in"]]),
        "public",
        100,
    ),
    FormCase("organisations:member_home", lambda world: reverse("organisations:member_home"), "member", 120),
    FormCase("organisations:member_sign_out", lambda world: reverse("organisations:member_home"), "member", 60),
    FormCase(
        "actions:report",
        lambda world: reverse("actions:report", args=[_slug(world)]),
        "member",
        200,
        valid=lambda world: {**ACTION, "date": timezone.localdate().isoformat()},
    ),
    FormCase(
        "actions:report_open",
        lambda world: reverse("actions:report_open", args=[_slug(world)]),
        "public",
        200,
        ACTION_FORM_TIMER,
        lambda world: {**ACTION, **ACTION_REPORTER, "date": timezone.localdate().isoformat()},
    ),
    FormCase(
        "actions:confirm",
        lambda world: reverse("actions:confirm", args=[world.links["action_confirm"]]),
        "public",
        80,
    ),
    FormCase(
        "actions:withdraw",
        lambda world: reverse("actions:withdraw", args=[world.links["action_withdraw"]]),
        "public",
        80,
    ),
    FormCase(
        "actions:member_action_withdraw",
        lambda world: reverse("actions:member_actions"),
        "member",
        80,
    ),
    FormCase(
        "statements:translation_offer",
        lambda world: reverse("statements:translation_offer", args=[_slug(world)]),
        "member",
        200,
        valid=lambda world: TRANSLATION_OFFER,
    ),
    # Staff sign-in and security
    FormCase(
        "accounts:sign_in",
        lambda world: reverse("accounts:sign_in"),
        "public",
        150,
        valid=lambda world: {"username": "sam@example.org", "password": "correct horse battery staple 7"},
    ),
    FormCase(
        "accounts:password_reset",
        lambda world: reverse("accounts:password_reset"),
        "public",
        150,
        valid=lambda world: {"email": "sam@example.org"},
    ),
    FormCase(
        "accounts:password_reset_confirm",
        lambda world: reverse(
            "accounts:password_reset_confirm", args=[world.links["password_reset_uid"], "set-password"]
        ),
        "reset",
        150,
        valid=lambda world: {
            "new_password1": "a new long pass phrase 42",
            "new_password2": "a new long pass phrase 42",
        },
    ),
    FormCase("accounts:sign_out", lambda world: reverse("staff:dashboard"), "sam", 60),
    FormCase(
        "accounts:second_factor",
        lambda world: reverse("accounts:second_factor"),
        "unverified",
        200,
        valid=lambda world: {"code": current_code(world.users["sam"])},
    ),
    FormCase("accounts:second_factor_setup", lambda world: reverse("accounts:second_factor_setup"), "newcomer", 150),
    FormCase(
        "accounts:second_factor_setup",
        lambda world: reverse("accounts:second_factor_setup"),
        "newcomer_by_mail",
        60,
    ),
    FormCase("accounts:backup_codes", lambda world: reverse("accounts:security"), "sam", 60),
    FormCase("accounts:end_sessions", lambda world: reverse("accounts:security"), "sam", 100),
    FormCase(
        "accounts:token_new",
        lambda world: reverse("accounts:security"),
        "sam",
        120,
        valid=lambda world: {"name": "counts", "scopes": "read"},
    ),
    FormCase("accounts:token_revoke", lambda world: reverse("accounts:security"), "sam", 80),
    FormCase(
        "accounts:password_change",
        lambda world: reverse("accounts:password_change"),
        "sam",
        150,
        valid=lambda world: {
            "old_password": "correct horse battery staple 7",
            "new_password1": "a new long pass phrase 42",
            "new_password2": "a new long pass phrase 42",
        },
    ),
    # The site, its commissions, statements and texts
    FormCase("staff:federation", lambda world: reverse("staff:federation"), "sam", 150),
    FormCase(
        "staff:commission_new",
        lambda world: reverse("staff:commission_new"),
        "sam",
        120,
        valid=lambda world: {"slug": "new-commission", "name_en": "Commission on Parks"},
    ),
    FormCase(
        "staff:commission_edit",
        lambda world: reverse("staff:commission_edit", args=["public-libraries"]),
        "sam",
        120,
    ),
    FormCase("staff:statement_new", lambda world: reverse("staff:statement_new"), "sam", 150),
    FormCase("staff:statement_action", _staff_statement, "sam", 150),
    FormCase("staff:statement_action", _staff_statement, "eli", 100),
    FormCase(
        "staff:translation_new",
        lambda world: reverse("staff:translation_new", args=[_slug(world)]) + "?language=es",
        "sam",
        120,
        valid=lambda world: {"language": "es", "title": "Horarios", "body": "Un texto."},
    ),
    FormCase(
        "staff:statement_text",
        lambda world: reverse("staff:statement_text", args=[_slug(world), "en"]),
        "sam",
        150,
    ),
    FormCase(
        "staff:statement_text",
        lambda world: reverse("staff:statement_text", args=[world.translated_slug, "ar"]),
        "eli",
        100,
    ),
    # Moderation, exports and the ledger
    FormCase("staff:sign_on_queue", lambda world: reverse("staff:sign_on_queue"), "sam", 150),
    # The decisions on the chosen actions and the edit of one description: two forms of one page.
    FormCase("staff:action_queue", lambda world: reverse("staff:action_queue"), "sam", 150),
    FormCase("staff:signature_queue", lambda world: reverse("staff:signature_queue", args=[_slug(world)]), "sam", 150),
    FormCase(
        "staff:sealed_export",
        lambda world: reverse("staff:sealed_export", args=[_slug(world)]),
        "sam",
        100,
        valid=lambda world: {"code": current_code(world.users["sam"])},
    ),
    FormCase("staff:statement_milestones", _staff_statement, "sam", 150),
    FormCase(
        "staff:statement_retention",
        lambda world: reverse("staff:statement_retention", args=[_slug(world)]),
        "sam",
        150,
    ),
    # The site's log and its witnesses
    FormCase(
        "staff:log",
        lambda world: reverse("staff:log"),
        "sam",
        150,
        valid=lambda world: {"vkey": _witness_vkey("witness.example/two"), "url": "https://two.example.org"},
    ),
    FormCase("staff:log_witness", lambda world: reverse("staff:log"), "sam", 60),
    FormCase("staff:log_send", lambda world: reverse("staff:log"), "sam", 40),
    # The directory
    FormCase(
        "staff:organisation_new",
        lambda world: reverse("staff:organisation_new"),
        "sam",
        150,
        valid=lambda world: {"name": "Parks Trust", "short_name": "PT", "country": "FR"},
    ),
    FormCase("staff:organisation_edit", _organisation_page, "sam", 120),
    FormCase(
        "staff:organisation_contact_add",
        _organisation_page,
        "sam",
        150,
        valid=lambda world: {
            "contact_name": "Lea Contact",
            "contact_role": "Chair",
            "contact_email": "lea@reading-room.example",
        },
    ),
    FormCase("staff:organisation_contact_remove", _organisation_page, "sam", 60),
    FormCase(
        "staff:organisation_types",
        lambda world: reverse("staff:organisation_types"),
        "sam",
        150,
        valid=lambda world: {"name": "Reading circle"},
    ),
    # Deliveries
    FormCase(
        "staff:delivery_target_add",
        _delivery_page,
        "sam",
        150,
        valid=lambda world: {"name": "Mayor", "email": "mayor@city.example", "language": "en"},
    ),
    FormCase(
        "staff:delivery_target_edit",
        lambda world: reverse("staff:delivery_target_edit", args=[_slug(world), world.target_id]),
        "sam",
        150,
    ),
    FormCase("staff:delivery_target_remove", _delivery_page, "sam", 60),
    FormCase(
        "staff:delivery_preview",
        _delivery_page,
        "sam",
        60,
        valid=lambda world: {"covering_text": "Dear Minister, please find the statement."},
    ),
    FormCase(
        "staff:delivery_confirm",
        _delivery_page,
        "sam",
        150,
        valid=lambda world: {
            "covering_text": "Dear Minister, please find the statement.",
            "seen_deliveries": "1",
            "again_today": "on",
        },
        action_path=lambda world: reverse("staff:delivery_confirm", args=[_slug(world)]),
        extra_fields=(
            Field("covering_text", "textarea", max_length=5000),
            Field("seen_deliveries", "number", "0"),
            Field("again_today", "checkbox", "on"),
            Field("mention_actions", "hidden", "True"),
        ),
    ),
    FormCase(
        "staff:delivery_retry",
        _delivery_page,
        "sam",
        60,
        action_path=lambda world: reverse("staff:delivery_retry", args=[_slug(world), world.recipient_id]),
    ),
    FormCase(
        "staff:delivery_response_add",
        _delivery_page,
        "sam",
        150,
        valid=lambda world: {
            "responded_on": "2026-11-30",
            "who": "The Minister",
            "text": "We will consider it.",
            "language": "en",
        },
    ),
]


def forms_of(case: FormCase, client: Client, world: World) -> list[DrawnForm]:
    """The forms on the case's page that post to its action."""
    page = case.page(world)
    answer = client.get(page)
    assert answer.status_code == 200, (case.id, page, answer.status_code)
    found = []
    for form in drawn_forms(answer.content.decode(), page):
        if form.method != "post":
            continue
        action = urlsplit(form.action).path
        if resolve(action).view_name == case.action:
            form.action = form.action if "?" in form.action else action
            found.append(form)
    if not found and case.action_path is not None:
        found.append(DrawnForm(case.action_path(world), "post", False, list(case.extra_fields)))
    assert found, f"{case.id}: no form on {page} posts to {case.action}"
    return found


# --- What is sent -----------------------------------------------------------------------------------


def _png(width: int, height: int, image_data: bytes | None = None) -> bytes:
    """A PNG whose header claims ``width`` x ``height``; its pixels real or missing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if image_data is None:
        image_data = zlib.compress(b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", image_data) + chunk(b"IEND", b"")


def _jpeg(width: int, height: int) -> bytes:
    """A JPEG with a camera's EXIF, as a phone would send it."""
    exif = Image.Exif()
    exif[0x0110] = "Fuzz Camera"
    output = io.BytesIO()
    Image.new("RGB", (width, height), (90, 30, 30)).save(output, format="JPEG", exif=exif)
    return output.getvalue()


NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "Ada\x00Lovelace",
    "\u202eevil\u202c",
    "\u200f\u200e\u061c",
    "مرحبا بالعالم",
    "שלום",
    "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "\ufeff",
    "\ud800",  # a lone surrogate, sent as the bytes Python's surrogatepass makes of it
    "\udfff\ud83d",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"; DROP TABLE x; --',
    "%00%ff",
    "\r\n\r\n",
    "\t",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "İıß\u0301ǅ",
    "-1",
    "0",
    "1e309",
    "NaN",
    "99999999999999999999999999999",
    "𝕬𝖉𝖆",
    "\x7f\x1b[31m",
]
RAW_BYTES = [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"abc\x80def", b"\xf4\x90\x80\x80", b"%"]
EMAILS = [
    "ana@example.org",
    "Ana.Perez+tag@Example.ORG",
    "a@b",
    "@example.org",
    "ana@",
    "ana@@example.org",
    "ana@exa mple.org",
    "ana@example..org",
    "ana@xn--bcher-kva.example",
    "ana@bücher.example",
    "ánä@example.org",
    "a" * 65 + "@example.org",
    "ana@" + "b" * 250 + ".org",
    "ana@example.org\x00",
    "ana@mailinator.com",
    "ana@[127.0.0.1]",
    '"ana perez"@example.org',
    "ana@example.org, ben@example.org",
    "ana@example.org\r\nBcc: x@example.org",
]
NUMBERS = [
    "0",
    "1",
    "-1",
    "2",
    "7",
    "90",
    "3650",
    "3651",
    "1.5",
    "1e5",
    "0x10",
    " 3 ",
    "٣",
    "2147483648",
    "9" * 40,
    "NaN",
]
DATES = [
    "2026-11-30",
    "2026-02-29",
    "2024-02-29",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "31/12/2026",
    "2026-11-30T10:00",
    "2026-11-30T25:61",
    "2026-11-30 10:00:00+14:00",
    "2026-11-30T10:00:00.123456789Z",
    "1969-12-31T23:59",
    "yesterday",
]
URLS = [
    "https://example.org",
    "http://example.org/path?q=1#f",
    "example.org",
    "javascript:alert(1)",
    "data:text/html,<b>x</b>",
    "http://[::1",
    "http://[::1]:80/",
    "ftp://example.org",
    "//example.org",
    "https://exa mple.org",
    "https://" + "a" * 300 + ".org",
    "https://bücher.example/",
    "http://127.0.0.1:99999/",
    "https://example.org/\x00",
]
SLUGS = ["a", "new-slug", "UPPER", "with space", "ü-slug", "-", "a" * 101, "a--b", "../x", "statements", "new"]
MISSING = object()


def _text(max_length: int | None) -> st.SearchStrategy[Any]:
    choices: list[st.SearchStrategy[Any]] = [
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(RAW_BYTES),
        st.text(max_size=30),
        st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=12),
        st.sampled_from(["x" * 100_000, "é" * 5000]),
    ]
    if max_length:
        choices.append(
            st.tuples(st.sampled_from([max_length - 1, max_length, max_length + 1]), st.sampled_from("aé😀")).map(
                lambda pair: pair[1] * pair[0]
            )
        )
    return st.one_of(*choices)


def _fuzz_value(fields: list[Field]) -> st.SearchStrategy[Any]:
    """Generated values for the control(s) of one name: valid-looking ones for its type first."""
    first = fields[0]
    kind, name = first.kind, first.name
    valid = [each.value for each in fields if each.value] + [option for each in fields for option in each.options]
    typed: list[st.SearchStrategy[Any]] = []
    if valid:
        typed.append(st.sampled_from(valid))
    if kind == "email" or "email" in name:
        typed.append(st.sampled_from(EMAILS))
    elif kind == "number":
        typed += [st.sampled_from(NUMBERS), st.integers().map(str)]
    elif kind in {"date", "datetime-local"}:
        typed += [st.sampled_from(DATES), st.datetimes().map(lambda moment: moment.isoformat())]
    elif kind == "url" or name in {"website", "link"}:
        typed.append(st.sampled_from(URLS))
    elif "slug" in name:
        typed.append(st.sampled_from(SLUGS))
    elif kind in {"select", "radio", "checkbox", "button"} or name in {"revision", "statement", "organisation"}:
        typed += [st.sampled_from(NUMBERS), st.sampled_from(["on", "yes", "true", "en", "xx", "zz-Hant"])]
    return st.one_of(*typed, _text(first.max_length))


FILES = [
    ("logo.png", _png(16, 16), "image/png"),
    ("logo.png", _png(40_000, 40_000, b""), "image/png"),
    ("logo.png", _png(1, 1, b"not zlib"), "image/png"),
    ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
    ("photo.jpg", _jpeg(64, 48), "image/jpeg"),
    ("photo.jpg", _jpeg(64, 48)[:200], "image/jpeg"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
    ("", b"", "application/octet-stream"),
    ("../../etc/passwd", b"root:x:0:0", "text/plain"),
    ("x\x00.png", b"\x00" * 10, "image/png"),
    ("a" * 300 + ".txt", b"abc", "text/plain"),
    ("release.txt", b"Title\n\n12 March 2025\n\nA paragraph.\n\n###\n", "text/plain"),
    ("release.txt", b"\xff\xfe\x00T\x00i\x00t", "text/plain"),
    ("release.txt", "Título\n\nUn párrafo.".encode("latin-1"), "text/plain"),
    ("big.bin", b"\x00" * 600_000, "application/octet-stream"),
    ("big.txt", b"a\n" * 300_000, "text/plain"),
]
# Most cases pass the public forms' cross-origin check: no Origin, or the site's own.
ORIGINS = [None] * 12 + ["http://testserver"] * 4 + ["https://elsewhere.example", "null", "http://[", "\x00"]


@dataclass
class Submission:
    pairs: list[tuple[str, Any]]
    files: list[tuple[str, tuple[str, bytes, str]]]
    encoding: str
    origin: str | None
    fragment: bool


def _valid_pairs(form: DrawnForm, case: FormCase, world: World, choices: dict[str, str]) -> list[tuple[str, Any]]:
    """What the page would send back, filled in as a person would (``choices`` picks among the
    buttons and options), with the case's valid values and a timer drawn a while ago."""
    pairs: list[tuple[str, Any]] = []
    valid = case.valid(world)
    for name, fields in form.by_name().items():
        kind = fields[0].kind
        if name in valid:
            pairs.append((name, valid[name]))
        elif name == "started" and case.timer is not None:
            pairs.append((name, drawn_form_token(case.timer)))
        elif kind == "file":
            continue
        elif kind == "checkbox" and any(each.checked for each in fields):
            pairs += [(name, each.value or "on") for each in fields if each.checked]
        elif kind == "radio" and any(each.checked for each in fields):
            pairs.append((name, next(each.value for each in fields if each.checked)))
        elif kind == "select" and fields[0].value:
            pairs.append((name, fields[0].value))
        elif kind in {"checkbox", "radio", "button", "select"}:
            if name in choices:
                pairs.append((name, choices[name]))
        else:
            pairs.append((name, fields[0].value))
    return pairs


def submissions(form: DrawnForm, case: FormCase, world: World) -> st.SearchStrategy[Submission]:
    named = form.by_name()
    names = sorted(named)
    fuzz = {name: _fuzz_value(fields) for name, fields in named.items()}
    choosable = {
        name: [value for value in [*(each.value for each in fields), *fields[0].options] if value]
        for name, fields in named.items()
        if fields[0].kind in {"checkbox", "radio", "button", "select"}
    }
    choices = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in choosable.items() if values})
    file_names = [name for name, fields in named.items() if fields[0].kind == "file"]
    edit = st.one_of(
        st.tuples(st.just("set"), st.sampled_from(names) if names else st.just("x")),
        st.tuples(st.just("drop"), st.sampled_from(names) if names else st.just("x")),
        st.tuples(st.just("twice"), st.sampled_from(names) if names else st.just("x")),
        st.tuples(st.just("unknown"), st.sampled_from(["x", "action", "next", "id", "pk", "__proto__", ""])),
    )

    @st.composite
    def one(draw: st.DrawFn) -> Submission:
        pairs = _valid_pairs(form, case, world, draw(choices))
        if names and draw(st.integers(0, 3)) == 0:
            # Every field generated, left as the page drew it, or missing.
            pairs = []
            for name in names:
                value = draw(st.one_of(st.just(MISSING), fuzz[name], st.just(named[name][0].value)))
                if value is not MISSING:
                    pairs.append((name, value))
        else:
            for action, name in draw(st.lists(edit, max_size=3)):
                if action == "set":
                    value = draw(fuzz.get(name, _text(None)))
                    pairs = [(key, value if key == name else old) for key, old in pairs]
                    if name not in {key for key, _ in pairs}:
                        pairs.append((name, value))
                elif action == "drop":
                    pairs = [(key, old) for key, old in pairs if key != name]
                elif action == "twice":
                    pairs.append((name, draw(fuzz.get(name, _text(None)))))
                else:
                    pairs.append((name, draw(_text(None))))
        files = []
        for name in file_names:
            if draw(st.booleans()):
                files.append((name, draw(st.sampled_from(FILES))))
        encoding = "multipart" if form.multipart or files else "form"
        encoding = draw(st.sampled_from([encoding] * 6 + ["multipart", "json", "bad-multipart"]))
        return Submission(
            pairs, files, encoding, draw(st.sampled_from(ORIGINS)), draw(st.sampled_from([False, False, True]))
        )

    return one()


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _as_text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Upload(io.BytesIO):
    """A file as the test client encodes it, with any name (Django's own upload classes refuse an
    empty one, which a browser may still send)."""

    def __init__(self, name: str, content: bytes, content_type: str) -> None:
        super().__init__(content)
        self.name, self.content_type = name, content_type


def request_body(submission: Submission) -> tuple[bytes, str]:
    """The body and its content type: URL-encoded bytes (which may hold invalid UTF-8), or
    multipart (with the files), or JSON, or a multipart body with a broken boundary."""
    if submission.encoding == "json":
        document = {key: _as_text(value) for key, value in submission.pairs}
        return json.dumps(document).encode(), "application/json"
    if submission.encoding in {"multipart", "bad-multipart"}:
        data: dict[str, list[Any]] = {}
        for key, value in submission.pairs:
            data.setdefault(key, []).append(_as_bytes(value).decode("utf-8", "replace"))
        for key, (name, content, content_type) in submission.files:
            data.setdefault(key, []).append(Upload(name, content, content_type))
        body = encode_multipart(BOUNDARY, data)
        if submission.encoding == "bad-multipart":
            return body[: len(body) // 2], "multipart/form-data; boundary=elsewhere"
        return body, MULTIPART_CONTENT
    encoded = b"&".join(
        quote_from_bytes(_as_bytes(key)).encode() + b"=" + quote_from_bytes(_as_bytes(value)).encode()
        for key, value in submission.pairs
    )
    return encoded, "application/x-www-form-urlencoded"


# --- What a refused request may not change ----------------------------------------------------------

_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.I)
_NOT_A_WRITE = re.compile(r"^\s*(?:SELECT|SAVEPOINT|RELEASE|ROLLBACK|PRAGMA|SET\s|SHOW|BEGIN|COMMIT)", re.I)


class WriteWatcher:
    """The tables a request's statements wrote to; ``?`` for a statement it cannot tell from a read."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        written = _WRITE.match(sql)
        if written:
            self.tables.add(written[1])
        elif not _NOT_A_WRITE.match(sql):
            self.tables.add("?")
        return execute(sql, params, many, context)

    def wrote_stored_data(self) -> bool:
        return bool(self.tables - VOLATILE_TABLES)


def table_checksums() -> dict[str, tuple[int, str]]:
    """Per table but the volatile ones: its row count and a hash of its rows' values."""
    from django.apps import apps

    sums = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in VOLATILE_TABLES:
                continue
            skipped = VOLATILE_COLUMNS.get(table, set())
            columns = [each.column for each in model._meta.local_concrete_fields if each.column not in skipped]
            quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            rows = cursor.fetchall()
            sums[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return sums


# How the site's templates mark a form drawn again with its errors, or an error message.
_ERROR_MARKS = re.compile(rb'class="[^"]*(?:field__error|form-errors|field--invalid|message--error)')


def refused(response: Any) -> bool:
    """4xx, an error message for the next page, or a page that shows a form's errors."""
    if response.status_code >= 400:
        return True
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if any(message.level >= message_levels.ERROR for message in queued):
        return True
    return not response.streaming and _ERROR_MARKS.search(response.content) is not None


class LeanClient(Client):
    """The test client without what it keeps of every template rendered (a copy of each context,
    some 250 per page with a country list): most of a case's time otherwise. An exception a view
    raises is raised here, as Django's client does; a streamed answer is read to its end."""

    def request(self, **request: Any) -> Any:
        environ = self._base_environ(**request)  # type: ignore[attr-defined]
        raised: list[BaseException] = []

        def keep(sender: Any, **kwargs: Any) -> None:
            raised.append(sys.exc_info()[1] or RuntimeError("request exception"))

        got_request_exception.connect(keep, dispatch_uid="forms-fuzz")
        try:
            response = self.handler(environ)
            if response.streaming:
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
        finally:
            got_request_exception.disconnect(dispatch_uid="forms-fuzz")
        if raised:
            raise raised[0]
        return response


@pytest.fixture
def raised_limits() -> Iterator[None]:
    """Every rate limit far above what the run reaches: the cases test the forms, not the limits
    (each case is rolled back, so counters never pile up anyway; the limits' own tests are
    beside them)."""
    saved = dict(ratelimit.RULES)
    for name, rule in saved.items():
        ratelimit.RULES[name] = replace(rule, limit=1_000_000)
    yield
    ratelimit.RULES.clear()
    ratelimit.RULES.update(saved)


def _forget_caches() -> None:
    # A case that wrote (then rolled back) may have cached what it wrote.
    cache.clear()
    process_caches.clear_all()


def fuzz_form(case: FormCase, world: World) -> tuple[int, Counter[int]]:
    """Runs the case's examples; returns how many ran and the statuses they answered."""
    ran = 0
    statuses: Counter[int] = Counter()
    with transaction.atomic():
        signed_in = _client_for(case.role, world)
        forms = forms_of(case, signed_in, world)
        client = LeanClient()
        client.cookies = signed_in.cookies
        before = table_checksums()
        strategy = st.one_of(*[st.tuples(st.just(form.action), submissions(form, case, world)) for form in forms])

        @settings(
            max_examples=case.examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(drawn=strategy)
        def run(drawn: tuple[str, Submission]) -> None:
            nonlocal ran
            ran += 1
            action, submission = drawn
            body, content_type = request_body(submission)
            headers = {"Origin": submission.origin} if submission.origin is not None else {}
            if submission.fragment:
                headers["X-Requested-With"] = "fetch"
            one_case(
                lambda: client.generic("POST", action, body, content_type, headers=headers),
                refused=refused,
                before=before,
                statuses=statuses,
            )

        run()
        transaction.set_rollback(True)
    _forget_caches()
    return ran, statuses


def one_case(
    send: Callable[[], Any],
    *,
    refused: Callable[[Any], bool],
    before: dict[str, Any],
    statuses: Counter[int],
) -> None:
    """Sends one generated request in a transaction rolled back afterwards: never a 500, and a
    refused request that wrote anything left every table as it was (``before``)."""
    watcher = WriteWatcher()
    try:
        with transaction.atomic():
            with connection.execute_wrapper(watcher):
                response = send()
            statuses[response.status_code] += 1
            assert response.status_code != 500
            if refused(response) and watcher.wrote_stored_data():
                after = table_checksums()
                changed = sorted(table for table in before if before[table] != after[table])
                assert not changed, f"refused with {response.status_code}, changed {changed}"
            transaction.set_rollback(True)
    finally:
        if watcher.wrote_stored_data():
            _forget_caches()


# The forms in groups, each group one test: the site is built once per group, and the groups
# spread over the test processes.
GROUPS = {
    "public": [case for case in FORMS if case.role in {"public", "member"}],
    "accounts": [case for case in FORMS if case.action.startswith("accounts:") and case.role not in {"public"}],
    "statements": [
        case
        for case in FORMS
        if case.action.startswith("staff:")
        and ("statement" in case.action or "commission" in case.action or "translation" in case.action)
    ],
}
GROUPS["staff"] = [case for case in FORMS if not any(case in group for group in GROUPS.values())]


def _failure(name: str, failure: BaseException) -> str:
    """The failure with the falsifying example Hypothesis noted on it."""
    notes = "\n".join(getattr(failure, "__notes__", []))
    return f"{name}: {failure!r}"[:2000] + "\n" + notes[:3000]


def test_every_form_is_in_a_group_and_the_cases_add_up():
    grouped = [case for group in GROUPS.values() for case in group]
    assert sorted(case.id for case in grouped) == sorted(case.id for case in FORMS)
    assert sum(case.examples for case in FORMS) + sum(page.examples for page in PAGES) >= MIN_CASES


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_form_refuses_bad_input_without_a_server_error_or_a_change(group, world, raised_limits):
    failures = []
    began, cpu = time.monotonic(), time.process_time()
    total = 0
    if any(case.action.startswith("staff:delivery") for case in GROUPS[group]):
        # The delivery's PDF, built once: else each case would build it again (and roll it back).
        file_request(slug=_slug(world), language="en", paper="a4")
    for case in GROUPS[group]:
        started = time.process_time()
        try:
            ran, statuses = fuzz_form(case, world)
        except Exception as failure:  # every form runs, and all failures are shown
            failures.append(_failure(case.id, failure))
            continue
        total += ran
        assert ran >= case.examples, (case.id, ran)
        print(f"{case.id}: {ran} cases, {dict(statuses)}, {time.process_time() - started:.1f} s")  # noqa: T201
    print(  # noqa: T201
        f"\nforms fuzz ({group}): {total} cases in {time.monotonic() - began:.1f} s "
        f"({time.process_time() - cpu:.1f} s of CPU)"
    )
    assert not failures, "\n\n".join(failures)


# --- Pages' query strings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    """A page fuzzed with generated query strings: the parameters its view reads, and those of the
    search forms it draws (added when the page is read)."""

    name: str
    page: Path
    role: str = "public"
    examples: int = 60
    params: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.name}-{self.role}"


def _receipt_on_records_page(world: World) -> str:
    from undersigned.signatures.models import Signature

    public_id = Signature.objects.order_by("pk").values_list("public_id", flat=True).first() or "NONE"
    return reverse("privacy:receipt", args=[world.links["your_data"], "signature", public_id])


def _slugged(name: str, *tail: str) -> Path:
    return lambda world: reverse(name, args=[_slug(world), *tail])


def _translated(name: str, *tail: str) -> Path:
    return lambda world: reverse(name, args=[world.translated_slug, *tail])


PAGES = [
    PageCase("federation:home", lambda world: reverse("federation:home"), examples=60, params=("lang",)),
    PageCase(
        "statements:index",
        lambda world: reverse("statements:index"),
        examples=150,
        params=("body", "language", "state", "page"),
    ),
    PageCase("statements:read", _slugged("statements:read"), examples=100),
    PageCase("statements:read_in", _translated("statements:read_in", "fr"), examples=40),
    PageCase("statements:history", _slugged("statements:history", "en"), examples=40),
    PageCase("statements:revision", _slugged("statements:revision", "en", "1"), examples=40),
    PageCase("statements:revision_canonical", _slugged("statements:revision_canonical", "en", "1"), examples=30),
    PageCase("statements:embed", _slugged("statements:embed"), examples=40),
    PageCase("statements:embed_in", _translated("statements:embed_in", "fr"), examples=20),
    PageCase("statements:badge_svg", _slugged("statements:badge_svg"), examples=30),
    PageCase("statements:badge_svg_in", _translated("statements:badge_svg_in", "fr"), examples=20),
    PageCase("statements:share_image", _slugged("statements:share_image", "en"), examples=30, params=("v",)),
    PageCase("statements:badge_html", _slugged("statements:badge_html"), examples=30),
    PageCase("statements:badge_html_in", _translated("statements:badge_html_in", "fr"), examples=20),
    PageCase("statements:feed", lambda world: reverse("statements:feed", args=["public-libraries", "en"]), examples=40),
    PageCase("signatures:list", _slugged("signatures:list"), examples=120, params=("older", "newer")),
    PageCase("actions:list", _slugged("actions:list"), examples=60, params=("country", "page")),
    PageCase("actions:feed", _slugged("actions:feed", "en"), examples=30),
    PageCase("actions:body_feed", lambda world: reverse("actions:body_feed", args=["all", "en"]), examples=30),
    PageCase("signatures:challenge", lambda world: reverse("signatures:challenge"), examples=20),
    PageCase(
        "signatures:thanks",
        lambda world: reverse("signatures:thanks", args=[world.links["signature_withdraw"]]),
        examples=20,
    ),
    PageCase(
        "organisations:directory",
        lambda world: reverse("organisations:directory"),
        examples=100,
        params=("q", "country", "page"),
    ),
    PageCase("ledger:transparency", _slugged("ledger:transparency"), examples=60, params=("receipt",)),
    PageCase("ledger:head", _slugged("ledger:head"), examples=60, params=("seq",)),
    PageCase("ledger:export", _slugged("ledger:export"), examples=40),
    PageCase("ledger:log_checkpoint", lambda world: reverse("ledger:log_checkpoint"), examples=20),
    PageCase(
        "ledger:log_tile",
        lambda world: reverse("ledger:log_tile", kwargs={"path": "tile/entries/000.p/1"}),
        examples=20,
    ),
    PageCase(
        "signatures:receipt",
        lambda world: reverse("signatures:receipt", args=[world.links["signature_withdraw"]]),
        examples=30,
        params=("event",),
    ),
    PageCase("privacy:receipt", _receipt_on_records_page, examples=30, params=("event",)),
    PageCase("exports:csv", _slugged("exports:csv"), examples=60, params=("language",)),
    PageCase("exports:json", _slugged("exports:json"), examples=60, params=("language",)),
    PageCase("exports:pdf", _slugged("exports:pdf"), examples=30, params=("language", "paper")),
    PageCase("privacy:records", _records_page, examples=30),
    PageCase(
        "privacy:download",
        lambda world: reverse("privacy:download", args=[world.links["your_data"]]),
        examples=20,
    ),
    PageCase(
        "federation:switch_language",
        lambda world: reverse("federation:switch_language", args=["fr"]),
        examples=60,
        params=("next",),
    ),
    PageCase("accounts:sign_in", lambda world: reverse("accounts:sign_in"), examples=60, params=("next",)),
    PageCase(
        "accounts:second_factor", lambda world: reverse("accounts:second_factor"), "unverified", 60, ("next", "again")
    ),
    PageCase("accounts:security", lambda world: reverse("accounts:security"), "sam", 30),
    PageCase("staff:dashboard", lambda world: reverse("staff:dashboard"), "sam", 30),
    PageCase("staff:statement_list", lambda world: reverse("staff:statement_list"), "sam", 80, ("page",)),
    PageCase("staff:statement", _staff_statement, "sam", 40),
    PageCase("staff:commission_list", lambda world: reverse("staff:commission_list"), "sam", 30),
    PageCase("staff:sign_on_queue", lambda world: reverse("staff:sign_on_queue"), "sam", 80, ("status", "statement")),
    PageCase(
        "staff:signature_queue",
        _slugged("staff:signature_queue"),
        "sam",
        100,
        ("status", "signal", "network", "since", "until", "page"),
    ),
    PageCase(
        "staff:organisation_list",
        lambda world: reverse("staff:organisation_list"),
        "sam",
        80,
        ("q", "country", "member", "page"),
    ),
    PageCase("staff:delivery", _delivery_page, "sam", 40),
    PageCase("staff:log", lambda world: reverse("staff:log"), "sam", 20),
    PageCase("staff:statement_retention", _slugged("staff:statement_retention"), "sam", 20),
    PageCase("staff:sealed_export", _slugged("staff:sealed_export"), "sam", 20),
]

# Addresses not fuzzed here, and why.
NOT_FUZZED = {
    "actions:member_actions": "a member's page without query string; its form is fuzzed as member_action_withdraw",
    "organisations:logo": "a stored image named by its hash: no input but the path",
    "actions:photo": "a stored image named by its hash: no input but the path",
    "ledger:script": "a static file",
    "notifications:outbox": "development only: answers 404 unless DEBUG",
    "notifications:outbox_message": "development only: answers 404 unless DEBUG",
    "api_documentation": "a static page of the API; the API itself is test_schema_fuzz's",
    "accounts:password_reset_sent": "a static page",
    "accounts:password_reset_complete": "a static page",
    "accounts:second_factor_enrol": "a mailed link's GET, which redirects; its forged links are the enrolment tests'",
}


def _names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in {"admin"} or str(pattern.pattern).startswith("api/v1/"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_address_of_the_site_is_fuzzed_or_named_with_a_reason():
    fuzzed = {case.action for case in FORMS} | {page.name for page in PAGES} | set(NOT_FUZZED)
    assert set(_names(get_resolver().url_patterns)) - fuzzed == set()


def _query_strategy(names: list[str]) -> st.SearchStrategy[str]:
    value = st.one_of(
        st.sampled_from(["", "1", "2", "0", "-1", "99999999999999999999", "en", "fr", "open", "FR", "a" * 3000]),
        st.sampled_from(NUMBERS + DATES + URLS + SLUGS),
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(RAW_BYTES),
        st.text(max_size=20),
    )
    name = st.one_of(st.sampled_from(names or ["q"]), st.sampled_from(["", "x", "page", "next", "%", "a[b]"]))
    pair = st.tuples(name, value)
    return st.lists(pair, max_size=5).map(
        lambda pairs: "&".join(
            quote_from_bytes(_as_bytes(key)) + "=" + quote_from_bytes(_as_bytes(value)) for key, value in pairs
        )
    )


def fuzz_page(case: PageCase, world: World) -> tuple[int, Counter[int]]:
    ran = 0
    statuses: Counter[int] = Counter()
    with transaction.atomic():
        signed_in = _client_for(case.role, world)
        path = case.page(world)
        answer = signed_in.get(path)
        assert answer.status_code < 500, (case.id, answer.status_code)
        names = list(case.params)
        if not answer.streaming and answer.get("Content-Type", "").startswith("text/html"):
            for form in drawn_forms(answer.content.decode(), path):
                if form.method == "get":
                    names += [each.name for each in form.fields]
        client = LeanClient()
        client.cookies = signed_in.cookies
        before = table_checksums()

        @settings(
            max_examples=case.examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(query=_query_strategy(sorted(set(names))))
        def run(query: str) -> None:
            nonlocal ran
            ran += 1
            one_case(
                lambda: client.get(f"{path}?{query}"),
                refused=lambda response: response.status_code >= 400,
                before=before,
                statuses=statuses,
            )

        run()
        transaction.set_rollback(True)
    _forget_caches()
    return ran, statuses


def test_every_page_answers_generated_query_strings_without_a_server_error(world, raised_limits):
    failures = []
    began, cpu = time.monotonic(), time.process_time()
    total = 0
    for case in PAGES:
        started = time.process_time()
        try:
            ran, statuses = fuzz_page(case, world)
        except Exception as failure:  # every page runs, and all failures are shown
            failures.append(_failure(case.id, failure))
            continue
        total += ran
        assert ran >= case.examples, (case.id, ran)
        print(f"{case.id}: {ran} cases, {dict(statuses)}, {time.process_time() - started:.1f} s")  # noqa: T201
    print(  # noqa: T201
        f"\npages fuzz: {total} cases in {time.monotonic() - began:.1f} s ({time.process_time() - cpu:.1f} s of CPU)"
    )
    assert not failures, "\n\n".join(failures)
