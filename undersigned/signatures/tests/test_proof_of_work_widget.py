"""The proof-of-work widget is on a sign form only where the statement asks for the proof, speaks
the reader's language from our own catalogue, and its files are left for static/js/sign.js to fetch
once the signer reaches the form: a statement page's head loads none of them."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone, translation

from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.signatures.services import SIGN_FORM_TIMER
from undersigned.signatures.templatetags.proof_of_work_widget import widget_strings
from undersigned.signatures.tests.conftest import OpenStatement
from undersigned.statements.models import Statement
from undersigned.statements.selectors import forget_all_statements
from undersigned.testing import drawn_form_token

pytestmark = pytest.mark.django_db

WIDGET = re.compile(r"<altcha-widget [^>]*>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
HEAD = re.compile(r"<head>.*</head>", re.DOTALL)
NO_SCRIPT_NOTICE = "needs JavaScript for a short automatic check against bots"


def widget_of(page: str) -> dict[str, str] | None:
    """The widget's attributes (those in double quotes), or None for a form without it."""
    found = WIDGET.findall(page)
    assert len(found) <= 1
    return {name: html.unescape(value) for name, value in ATTRIBUTE.findall(found[0])} if found else None


def ask_for_the_proof(statement: Statement, **change: object) -> None:
    Statement.objects.filter(pk=statement.pk).update(**(change or {"requires_proof_of_work": True}))
    forget_all_statements()


def page_of(client, target: OpenStatement, path: str = "", language: str = "en") -> str:
    response = client.get(f"/statements/{target.statement.slug}/{path}", headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_a_statement_that_does_not_ask_for_the_proof_has_no_widget_and_no_file_of_it(client, open_statement):
    page = page_of(client, open_statement)

    assert widget_of(page) is None
    assert "altcha" not in page
    assert NO_SCRIPT_NOTICE not in page
    assert "js/sign.js" in HEAD.search(page).group(0)  # the form is still sent without leaving the page


def test_a_statement_that_asks_for_it_has_the_widget_and_leaves_its_files_to_the_form_script(client, open_statement):
    ask_for_the_proof(open_statement.statement)

    page = page_of(client, open_statement)

    widget = widget_of(page)
    assert widget is not None and widget["challenge"] == "/signatures/challenge/"
    assert widget["auto"] == "onfocus"
    # Nothing of the widget is loaded with the page: sign.js fetches these when the form is reached.
    assert "altcha" not in HEAD.search(page).group(0)
    for attribute, name in (("data-script", "altcha.min.js"), ("data-stylesheet", "altcha.css")):
        assert widget[attribute] == f"{settings.STATIC_URL}vendor/altcha/{name}"
    assert widget["data-worker"] == f"{settings.STATIC_URL}vendor/altcha/pbkdf2.js"
    for attribute in ("data-script", "data-stylesheet", "data-worker"):
        assert finders.find(widget[attribute].removeprefix(settings.STATIC_URL)), attribute
    assert "/i18n/" not in page  # no language file of the package
    assert NO_SCRIPT_NOTICE in page


def test_a_surge_puts_the_widget_on_the_form_and_takes_it_off_when_it_ends(client, open_statement):
    ask_for_the_proof(open_statement.statement, proof_of_work_surge_until=timezone.now() + timedelta(minutes=30))
    assert widget_of(page_of(client, open_statement)) is not None

    ask_for_the_proof(open_statement.statement, proof_of_work_surge_until=timezone.now() - timedelta(seconds=1))
    assert widget_of(page_of(client, open_statement)) is None


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_widget_speaks_every_interface_language_from_our_catalogue(client, open_statement, language):
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=[code for code, _name in settings.LANGUAGES],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    ask_for_the_proof(open_statement.statement)

    widget = widget_of(page_of(client, open_statement, language=language))

    assert widget is not None and widget["language"] == language
    strings = json.loads(widget["data-strings"])
    with translation.override(language):
        assert strings == widget_strings()
    with translation.override("en"):
        english = widget_strings()
    assert strings.keys() >= {"label", "verifying", "verified", "waitAlert", "error", "expired"}
    if language != "en":
        assert all(strings[key] != english[key] for key in english if key != "ariaLinkLabel"), strings


def test_a_form_sent_back_carries_the_widget_when_the_proof_became_needed_meanwhile(client, open_statement):
    # The page was drawn without the widget; a surge began before the signer sent the form.
    assert widget_of(page_of(client, open_statement)) is None
    ask_for_the_proof(open_statement.statement)

    answer = client.post(
        open_statement.sign_url,
        {
            "revision": open_statement.revision.pk,
            "started": drawn_form_token(SIGN_FORM_TIMER, seconds_ago=60),
            "name": "Ana Pérez",
            "email": "ana@example.org",
            "country": "ES",
            "name_shown": "full",
        },
        headers={"x-requested-with": "fetch", "origin": "http://testserver"},
    )

    assert answer.status_code == 400
    assert widget_of(answer.content.decode()) is not None


def test_the_embedded_form_has_the_widget_only_where_the_statement_asks_for_it(client, open_statement):
    assert widget_of(page_of(client, open_statement, "en/embed/")) is None

    ask_for_the_proof(open_statement.statement)
    page = page_of(client, open_statement, "en/embed/")

    assert widget_of(page) is not None
    assert "altcha" not in HEAD.search(page).group(0)
