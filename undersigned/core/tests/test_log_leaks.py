"""No log line and no error report carries what a person typed into a form.

Each form of the site is sent a known address and a known name, with every logger at DEBUG and the
project's own log handler (its formatter and redaction filter, read from ``settings.LOGGING``)
writing to a buffer, and queries logged as under DEBUG; then the buffer, every log record as made
and the error report of every logged exception are searched for them. Two requests also fail with a
server error while holding them.

A new form is one more entry in ``FORMS``: its address and a builder of the data it is sent.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils.module_loading import import_string
from django.views.debug import ExceptionReporter

from undersigned.commissions.models import Commission
from undersigned.core.log_redaction import redact, redact_message
from undersigned.organisations.models import Organisation, OrganisationType
from undersigned.organisations.services.directory import OrganisationInput, organisation_save
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.signatures.tests.conftest import form_data as signature_form
from undersigned.testing import UserFactory, secretariat, staff_login

pytestmark = pytest.mark.django_db

# Made up for this test and nowhere else in the code, so a match can only be a leak.
EMAIL = "quillon.vane-4417@canary-mail.example"
NAME = "Quillon Vanderbeek-Ostrava"
# What every request also carries: the client's address, a bearer token, a cookie and a query string.
CLIENT_ADDRESS = "198.51.100.173"
BEARER = "canary-bearer-7Hq2xRw9"
COOKIE = "canary-cookie-Zp4kLm8v"
QUERY = "canary-query-Vt6nBc3s"
CANARIES = (EMAIL, NAME, EMAIL.split("@")[0], "Vanderbeek", CLIENT_ADDRESS, BEARER, COOKIE, QUERY)


@dataclass(frozen=True)
class World:
    """What the forms act on: a published statement that takes signatures and sign-ons, a member
    organisation whose verified domain is the canary address's, a directory entry, the secretariat."""

    statement: OpenStatement
    commission: Commission
    member: Organisation
    staff: Any

    def address(self, template: str) -> str:
        return template.format(
            slug=self.statement.statement.slug, commission=self.commission.slug, member=self.member.pk
        )


def sign_in_staff(client: Client, user: Any) -> None:
    """Signs a staff member in for the staff forms, second factor included (one place to change when
    sign-in changes)."""
    staff_login(client, user)


@dataclass(frozen=True)
class Form:
    """A form of the site: where it is sent, what it is sent, and the answer that shows it was
    handled (a refusal of the whole request would test nothing)."""

    name: str
    url: str  # with {slug}, {commission} or {member} for the world's statement, commission, member
    data: Callable[[World], dict[str, Any]]
    status: int = 302
    staff: bool = False


def signer(world: World, **fields: Any) -> dict[str, Any]:
    return signature_form(world.statement.revision, **{"email": EMAIL, "name": NAME, **fields})


def sign_on(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Canary Readers' Circle",
        "country": "ES",
        "type": OrganisationType.objects.get(code="association").pk,
        "website": "https://circle.canary-mail.example",
        "contact_name": NAME,
        "contact_role": "Coordinator",
        "contact_email": EMAIL,
        "consent": "on",
        "revision": world.statement.revision.pk,
        "started": _sign_on_started(),
        "fax": "",
        **fields,
    }


def _sign_on_started() -> str:
    from undersigned.organisations.tests.conftest import started_token

    return started_token()


def federation(world: World) -> dict[str, Any]:
    return {
        "default_language": "en",
        "offered_languages": ["en", "fr"],
        "contact_email": EMAIL,
        "name_en": NAME,
        "description_en": f"Write to {EMAIL}.",
    }


def wrong_password() -> dict[str, Any]:
    return {"username": EMAIL, "password": NAME}


def commission(slug: str) -> dict[str, Any]:
    return {"slug": slug, "name_en": NAME, "mandate_en": f"Chaired by {NAME}, {EMAIL}."}


def organisation(world: World) -> dict[str, Any]:
    return {
        "name": NAME,
        "short_name": "QVO",
        "country": "FR",
        "type": OrganisationType.objects.get(code="association").pk,
        "website": "https://canary-mail.example/",
        "description": f"Run by {NAME}, {EMAIL}.",
        "is_member": "on",
        "member_since": "2020-01-01",
        "email_domains": "canary-mail.example",
    }


def contact() -> dict[str, Any]:
    return {"contact_name": NAME, "contact_role": "Chair", "contact_email": EMAIL}


FORMS = [
    Form("sign", "/statements/{slug}/sign/", signer, status=200),
    Form("sign, refused", "/statements/{slug}/sign/", lambda w: signer(w, country="XX"), status=400),
    Form("sign-on", "/statements/{slug}/sign-on/", sign_on, status=200),
    Form("sign-on, refused", "/statements/{slug}/sign-on/", lambda w: sign_on(w, consent=""), status=400),
    Form("member sign-in link", "/organisations/members/sign-in/", lambda w: {"email": EMAIL}, status=200),
    Form("staff sign-in, wrong password", "/accounts/sign-in/", lambda w: wrong_password(), status=200),
    Form("federation settings", "/staff/federation/", federation, staff=True),
    Form("commission, new", "/staff/commissions/new/", lambda w: commission("canary-commission"), staff=True),
    Form("commission, edit", "/staff/commissions/{commission}/", lambda w: commission(w.commission.slug), staff=True),
    Form("organisation, new", "/staff/organisations/new/", organisation, staff=True),
    Form("organisation, edit", "/staff/organisations/{member}/", organisation, staff=True),
    Form("organisation contact", "/staff/organisations/{member}/contacts/", lambda w: contact(), staff=True),
    Form("organisation type", "/staff/organisations/types/", lambda w: {"name": NAME}, staff=True),
    Form("signer's data link", "/your-data/", lambda w: data_link(), status=200),
    Form("staff password reset", "/accounts/password-reset/", lambda w: {"email": EMAIL}),
    Form("second-factor code", "/accounts/second-factor/", lambda w: {"code": EMAIL}, status=400, staff=True),
    Form("sealed export code", "/staff/statements/{slug}/export/", lambda w: {"code": NAME}, status=400, staff=True),
]


def data_link() -> dict[str, Any]:

    from undersigned.privacy.services import DATA_LINK_FORM_TIMER

    started = DATA_LINK_FORM_TIMER.started_token(drawn_at=time.time() - 10)  # opened ten seconds ago
    return {"email": EMAIL, "started": started, "website": ""}


@dataclass
class CapturedLogs:
    """Every line the project's log handler wrote, and every record made, at any level."""

    stream: io.StringIO
    log_format: str
    records: list[logging.LogRecord] = field(default_factory=list)
    # Each record's message and traceback as a handler with the redaction filter would write it,
    # kept when the record is made: a record that another handler writes, or that a logger drops at
    # its configured level today, must be clean too.
    raw_messages: list[str] = field(default_factory=list)

    def lines(self) -> str:
        return self.stream.getvalue()

    def assert_one_json_object_per_line(self) -> None:
        """In the JSON format each line is an object, and the request's own line is among them."""
        if self.log_format != "json":
            return
        entries = [json.loads(line) for line in self.lines().splitlines()]
        assert all({"time", "level", "logger", "message", "request_id"} <= set(entry) for entry in entries)
        requests = [entry for entry in entries if entry["logger"] == "undersigned.requests"]
        assert requests and all(entry["request_id"] and entry["route"] != "unresolved" for entry in requests)

    def exception_reports(self) -> list[str]:
        """The error report of every logged exception that has its request, as Django builds it for
        the mail to ADMINS and the DEBUG page: the configured reporter with the configured filter."""
        reporter_class: type[ExceptionReporter] = import_string(settings.DEFAULT_EXCEPTION_REPORTER)
        reports: list[str] = []
        for record in self.records:
            request = getattr(record, "request", None)
            if record.exc_info is None or not isinstance(request, HttpRequest):
                continue
            exc_type, exc_value, tb = record.exc_info
            reporter = reporter_class(request, exc_type, exc_value, tb, is_email=True)
            reports += [reporter.get_traceback_text(), reporter.get_traceback_html()]
        return reports

    def assert_no_personal_data(self) -> None:
        texts = {"log lines": [self.lines()], "raw log records": self.raw_messages}
        texts["exception reports"] = self.exception_reports()
        texts["mail to ADMINS"] = [
            f"{m.subject}\n{m.body}" for m in mail.outbox if m.to == [a for _, a in settings.ADMINS]
        ]
        for where, found in texts.items():
            for text in found:
                for canary in CANARIES:
                    assert canary not in text, f"{canary!r} is in the {where}:\n{_around(text, canary)}"


def _around(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 400) : at + 200]


def _handler_from_settings(stream: io.StringIO, log_format: str) -> logging.Handler:
    """The project's console handler as ``settings.LOGGING`` configures it, writing to ``stream``
    in ``log_format`` (one of its formatters, as ``LOG_FORMAT`` chooses)."""
    config: dict[str, Any] = settings.LOGGING
    handler_config = config["handlers"]["console"]
    handler = logging.StreamHandler(stream)
    formatter_config = config["formatters"][log_format]
    if "()" in formatter_config:
        handler.setFormatter(import_string(formatter_config["()"])())
    else:
        handler.setFormatter(logging.Formatter(formatter_config["format"]))
    for name in handler_config.get("filters", []):
        filter_config = dict(config["filters"][name])
        handler.addFilter(import_string(filter_config.pop("()"))(**filter_config))
    return handler


@pytest.fixture(params=["json", "text"])
def logs(request, monkeypatch) -> Iterator[CapturedLogs]:
    """What the site logs, in each ``LOG_FORMAT``."""
    captured = CapturedLogs(io.StringIO(), log_format=request.param)
    make_record = logging.Logger.makeRecord

    def recording(self, *args, **kwargs):
        record = make_record(self, *args, **kwargs)
        captured.records.append(record)
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        captured.raw_messages.append(redact_message(record.name, text))
        return record

    monkeypatch.setattr(logging.Logger, "makeRecord", recording)
    queries = CaptureQueriesContext(connection)  # logs every query, as DEBUG=True does
    handler = _handler_from_settings(captured.stream, request.param)
    levels = {logger: logger.level for logger in _all_loggers()}
    for logger in levels:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        with queries:
            yield captured
    finally:
        logging.getLogger().removeHandler(handler)
        for logger in _all_loggers():  # loggers first made during the test included
            logger.setLevel(levels.get(logger, logging.NOTSET))


def _all_loggers() -> list[logging.Logger]:
    return [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]


@pytest.fixture
def world(logs, libraries, settings) -> World:
    ensure_builtin_types()
    # Background tasks (mail delivery) run at once, in the request's process, so their logs count too.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    # Only the staff account below is given the canaries; everything else is the forms' doing.
    statement = build_open_statement(libraries)
    member = organisation_save(
        actor=None,
        organisation=None,
        data=OrganisationInput(
            name="Canary Mail Cooperative",
            short_name="",
            country="FR",
            type=OrganisationType.objects.get(code="association"),
            website="",
            is_member=True,
            email_domains=(EMAIL.split("@")[1],),
        ),
    )
    UserFactory.create(email=EMAIL, full_name=NAME)  # a staff account for the wrong-password sign-in
    return World(statement=statement, commission=libraries, member=member, staff=secretariat())


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_a_form_puts_no_personal_data_in_logs(form, world, logs, client, django_capture_on_commit_callbacks):
    if form.staff:
        sign_in_staff(client, world.staff)
    client.cookies["canary"] = COOKIE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{world.address(form.url)}?ref={QUERY}",
            form.data(world),
            REMOTE_ADDR=CLIENT_ADDRESS,
            HTTP_AUTHORIZATION=f"Bearer {BEARER}",
        )
    assert response.status_code == form.status, response.content.decode()[:2000]
    # A redirect to a sign-in or second-factor page would mean the form was never handled.
    location = response.headers.get("Location", "")
    assert not location.startswith(("/accounts/sign-in/", "/accounts/second-factor/")), location
    logs.assert_no_personal_data()
    logs.assert_one_json_object_per_line()


# --- Server errors while a request holds personal data -------------------------------------------


def _database_refuses_the_row(request: HttpRequest) -> HttpResponse:
    """A bug that writes a row the database refuses, with the form's values in it: PostgreSQL's
    message then quotes the row."""
    with transaction.atomic():
        row: dict[str, Any] = {"code": None, "name": f"{request.POST['name']} {request.POST['email']}"}
        OrganisationType.objects.create(**row)
    return HttpResponse()


urlpatterns = [
    path("broken/database/", _database_refuses_the_row),
    path("", include("config.urls")),
]
handler500 = "undersigned.federation.views.server_error"


def _sign_view_fails(monkeypatch) -> None:
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the signature could not be stored")

    monkeypatch.setattr("undersigned.signatures.views.signature_submit", fail)


@dataclass(frozen=True)
class Failure:
    name: str
    url: str
    data: Callable[[World], dict[str, Any]]
    arrange: Callable[[Any], None] = lambda monkeypatch: None


FAILURES = [
    Failure("sign view fails holding the signer", "/statements/{slug}/sign/", signer, _sign_view_fails),
    Failure("database refuses a row holding the values", "/broken/database/", lambda w: {"email": EMAIL, "name": NAME}),
]


@override_settings(ROOT_URLCONF=__name__, ADMINS=[("Operator", "operator@example.org")])
@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_a_server_error_puts_no_personal_data_in_logs_or_reports(failure, world, logs, monkeypatch):
    failure.arrange(monkeypatch)
    client = Client(raise_request_exception=False)
    client.cookies["canary"] = COOKIE
    response = client.post(
        f"{world.address(failure.url)}?ref={QUERY}",
        failure.data(world),
        REMOTE_ADDR=CLIENT_ADDRESS,
        HTTP_AUTHORIZATION=f"Bearer {BEARER}",
    )
    assert response.status_code == 500
    reports = logs.exception_reports()
    assert reports, "the server error was not logged with its request"
    assert "email = '********************'" in reports[0]
    assert any(m.to == ["operator@example.org"] for m in mail.outbox), "no error report was mailed"
    logs.assert_no_personal_data()
    logs.assert_one_json_object_per_line()
    assert EMAIL not in response.content.decode() and NAME not in response.content.decode()


def test_the_values_a_database_quotes_in_its_errors_are_taken_out():
    # What PostgreSQL says when it refuses a row; SQLite names only the column.
    for message in (
        f"DETAIL:  Failing row contains (8, null, {NAME} {EMAIL}, 100).",
        f"DETAIL:  Key (lower(name::text), country)=({NAME} (Ltd), FR) already exists.",
        f'invalid input syntax for type integer: "{NAME}"',
    ):
        cleaned = redact(message)
        assert all(canary not in cleaned for canary in CANARIES), cleaned
        assert "[value" in cleaned
