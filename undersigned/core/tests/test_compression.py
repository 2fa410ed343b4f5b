"""Public pages leave the app gzipped; an answer that may hold a secret never does (BREACH)."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.testing import secretariat, staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    return build_open_statement(libraries)


GZIP = {"accept-encoding": "gzip, deflate, br", "accept-language": "en"}


def test_the_statement_page_is_gzipped_to_a_fraction_of_its_size(client, open_statement):
    plain = client.get(f"/statements/{open_statement.statement.slug}/", headers={"accept-language": "en"})
    compressed = client.get(f"/statements/{open_statement.statement.slug}/", headers=GZIP)

    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Language" in compressed["Vary"]
    page = gzip.decompress(compressed.content).decode()
    assert page.startswith("<!doctype html>") and open_statement.statement.slug in page
    assert len(compressed.content) * 3 < len(plain.content)
    assert "public" in compressed["Cache-Control"]


def test_a_compressed_page_still_answers_not_modified_to_a_browser_holding_it(client, open_statement):
    # The signatories list: the same bytes for every reader until someone signs.
    path = f"/statements/{open_statement.statement.slug}/signatures/"
    first = client.get(path, headers=GZIP)
    assert first["Content-Encoding"] == "gzip" and first["ETag"].startswith('W/"')

    again = client.get(path, headers={**GZIP, "if-none-match": first["ETag"]})

    assert again.status_code == 304 and again.content == b""


def test_a_staff_page_is_never_compressed(client, open_statement):
    staff_login(client, secretariat())

    page = client.get(f"/staff/statements/{open_statement.statement.slug}/", headers=GZIP)

    assert page.status_code == 200
    assert "csrfmiddlewaretoken" in page.content.decode()
    assert "Content-Encoding" not in page
    assert "private" in page["Cache-Control"]


def test_a_public_page_asked_with_a_session_is_not_compressed(client: Client, open_statement: OpenStatement):
    staff_login(client, secretariat())

    page = client.get(f"/statements/{open_statement.statement.slug}/", headers=GZIP)

    assert page.status_code == 200
    assert "Content-Encoding" not in page
    assert "no-store" in page["Cache-Control"]


def test_the_answer_to_the_sign_form_which_repeats_what_was_typed_is_not_compressed(client, open_statement):
    answer = client.post(
        open_statement.sign_url,
        {"name": "Ana Pérez", "email": "not an address", "revision": open_statement.revision.pk},
        headers={**GZIP, "origin": "http://testserver"},
    )

    assert answer.status_code == 400
    assert "Content-Encoding" not in answer
    assert "not an address" in answer.content.decode()
