"""The signed statement: the PDF read back as a person (and a QR reader) would, its public address
with its caching and fallbacks, the CSV and JSON, and the export command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from undersigned.actions.models import SolidarityAction
from undersigned.actions.selectors import action_counts
from undersigned.actions.tests.factories import SolidarityActionFactory
from undersigned.exports import services
from undersigned.exports.models import SignedStatementFile
from undersigned.exports.selectors import counts_key
from undersigned.exports.services import pdf_language, signed_statement_pdf_bytes
from undersigned.exports.tests.builders import bulk_sign_ons, bulk_signatures, signer_name
from undersigned.exports.tests.conftest import SLUG, pdf_info, pdf_text, qr_codes
from undersigned.ledger.selectors import deliveries_of
from undersigned.ledger.services import record_event, seal_pending
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.signatures.tests.conftest import sign
from undersigned.statements.models import Statement

pytestmark = pytest.mark.django_db

PDF_URL = f"/statements/{SLUG}/signed-statement.pdf"
TRANSPARENCY = f"http://testserver/statements/{SLUG}/transparency/"


# pdftotext marks runs of the other direction with embedding controls; a reader sees none of them.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def one_line(text: str) -> str:
    return " ".join(text.translate(BIDI_CONTROLS).split())


def test_the_pdf_shows_the_title_the_counts_every_organisation_and_the_public_names(client, signed, tmp_path):
    response = client.get(PDF_URL, {"language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = one_line(pdf_text(response.content, tmp_path))
    assert "Statement on Library Opening Hours" in text
    assert "4 signatures · 2 organisations" in text
    assert "Neighbourhood Readers' Association" in text and "جمعية أصدقاء المكتبة" in text
    assert "Ada Lovelace" in text and "Grace H." in text and "مريم حداد" in text
    # Hidden names are only counted; unconfirmed signers and unapproved organisations are not there.
    assert "Hidden Person" not in text and "Pending Person" not in text and "Unapproved Society" not in text
    assert "3 signers chose to show their name" in text and "1 signer chose not to" in text
    head = client.get(f"/statements/{SLUG}/transparency/head.json").json()
    assert f"up to entry {head['seq']}" in text and head["hash"] in text
    revision = signed.revision
    assert revision.sha256 in text and "@" not in text.replace("ada@", "")  # no address anywhere


def test_the_arabic_pdf_is_right_to_left_with_its_headline_call_in_logical_order(client, signed, tmp_path):
    response = client.get(PDF_URL, {"language": "ar"})
    assert response.status_code == 200
    text = one_line(pdf_text(response.content, tmp_path))
    # The call's words in the order they are read (its "!" ends the line on the left, where
    # pdftotext puts it first).
    assert "مكتبات مفتوحة حين يستطيع الناس ارتيادها" in text
    assert "بيان بشأن ساعات عمل المكتبات العامة" in text
    info = pdf_info(response.content, tmp_path)
    assert info["Title"] == "بيان بشأن ساعات عمل المكتبات العامة"
    assert info["Page size"].endswith("(A4)")


def test_the_qr_code_opens_the_transparency_page(client, signed, tmp_path, settings):
    settings.SITE_URL = "http://testserver"
    pdf = client.get(PDF_URL, {"language": "en"}).content
    assert qr_codes(pdf, tmp_path) == [TRANSPARENCY]
    assert TRANSPARENCY in one_line(pdf_text(pdf, tmp_path))


def test_us_letter_on_request_and_the_metadata_of_the_pdf(client, signed, tmp_path):
    info = pdf_info(client.get(PDF_URL, {"language": "en", "paper": "letter"}).content, tmp_path)
    assert info["Page size"].endswith("(letter)")
    assert info["Title"] == "Statement on Library Opening Hours"
    assert info["CreationDate"]
    assert pdf_info(client.get(PDF_URL, {"language": "en", "paper": "b5"}).content, tmp_path)["Page size"].endswith(
        "(A4)"
    )


@pytest.mark.parametrize("asked", ["de", "xx", "", "AR-x", "<script>", "é" * 40, "en\x00", "../../etc"])
def test_a_language_the_statement_lacks_falls_back_without_an_error(client, signed, tmp_path, asked):
    response = client.get(PDF_URL, {"language": asked}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "Déclaration" in pdf_text(response.content, tmp_path) or asked.lower().startswith("ar")


def test_without_a_language_the_readers_language_is_used(client, signed, tmp_path):
    response = client.get(PDF_URL, HTTP_ACCEPT_LANGUAGE="ar")
    assert "بيان بشأن ساعات عمل المكتبات العامة" in one_line(pdf_text(response.content, tmp_path))
    assert "Accept-Language" in response["Vary"]


def test_the_contract_functions_fall_back_to_the_original(signed, tmp_path):
    statement_id = signed.statement.pk
    assert pdf_language(statement_id=statement_id, language="de") == "en"
    assert pdf_language(statement_id=statement_id, language="ar") == "ar"
    pdf = signed_statement_pdf_bytes(statement_id=statement_id, language="de")
    assert "Statement on Library Opening Hours" in pdf_text(pdf, tmp_path)
    assert signed_statement_pdf_bytes(statement_id=statement_id, language="en") == pdf  # the stored file


def test_the_file_is_kept_until_the_counts_change_and_revalidated_by_its_etag(client, signed, tmp_path):
    first = client.get(PDF_URL, {"language": "en"})
    assert first["ETag"] and first["Last-Modified"] and "max-age" in first["Cache-Control"]
    again = client.get(PDF_URL, {"language": "en"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert SignedStatementFile.objects.filter(statement=signed.statement, language="en").count() == 1

    sign(signed, email="new@example.org", name="Newcomer Signer", country="ES", confirm=True)
    changed = client.get(PDF_URL, {"language": "en"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "5 signatures" in one_line(pdf_text(changed.content, tmp_path))
    assert "Newcomer Signer" in pdf_text(changed.content, tmp_path)
    # The file of the old counts is gone; the new one is the only one kept.
    assert SignedStatementFile.objects.filter(statement=signed.statement, language="en").count() == 1


def test_drafts_withdrawn_and_unknown_statements_have_no_downloads(client, signed):
    assert client.get("/statements/no-such-statement/signed-statement.pdf").status_code == 404
    Statement.objects.filter(pk=signed.statement.pk).update(status=Statement.Status.WITHDRAWN)
    for extension in ("pdf", "csv", "json"):
        assert client.get(f"/statements/{SLUG}/signed-statement.{extension}").status_code == 404
    Statement.objects.filter(pk=signed.statement.pk).update(status=Statement.Status.DRAFT)
    assert client.get(PDF_URL).status_code == 404
    assert client.post(PDF_URL).status_code == 405


# The worker returns its connection to PostgreSQL's pool after each task, which a test's
# transaction would not survive: this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_a_big_statement_is_prepared_once_in_the_background(client, signed, run_tasks, monkeypatch, tmp_path):
    monkeypatch.setattr(services, "INLINE_BUILD_NAMES", 2)
    waiting = client.get(PDF_URL, {"language": "fr"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert waiting.status_code == 202
    assert waiting["Retry-After"] == "10" and waiting["Cache-Control"] == "no-store"
    page = waiting.content.decode()
    assert 'http-equiv="refresh"' not in page and 'lang="fr"' in page  # the reader chooses when to ask again
    for _ in range(5):  # readers keep asking while it is prepared: still one build
        assert client.get(PDF_URL, {"language": "fr"}).status_code == 202
    assert DBTaskResult.objects.filter(task_path__endswith="build_signed_statement").count() == 1
    run_tasks()
    ready = client.get(PDF_URL, {"language": "fr"})
    assert ready.status_code == 200
    assert "Déclaration" in pdf_text(ready.content, tmp_path)


def test_a_claim_whose_builder_died_is_taken_over(signed):
    statement_id = signed.statement.pk
    claim = {"statement_id": statement_id, "language": "en", "paper": "a4", "key": "k" * 64}
    assert services.file_claim(**claim) is True
    assert services.file_claim(**claim) is False
    SignedStatementFile.objects.update(claimed_at=SignedStatementFile.objects.get().claimed_at - services.BUILD_LEASE)
    assert services.file_claim(**claim) is True


def test_deliveries_recorded_in_the_ledger_are_listed_and_printed(client, signed, tmp_path):
    detail = {
        "targets": [{"name": "Jo Minister", "role": "Minister of Culture", "organisation": "Government"}],
        "signatures": 4,
        "organisations": 2,
        "revision": 1,
        "language": "en",
    }
    from django.db import transaction

    with transaction.atomic():
        record_event(statement_id=signed.statement.pk, kind="statement.delivered", subject="D1", detail=detail)
    pending = deliveries_of(signed.statement.pk)
    assert [(d.subject, d.seq, d.targets[0].role, d.signatures) for d in pending] == [
        ("D1", None, "Minister of Culture", 4)
    ]
    seal_pending()
    sealed = deliveries_of(signed.statement.pk)
    assert sealed[0].seq is not None and sealed[0].at == pending[0].at
    text = one_line(pdf_text(client.get(PDF_URL, {"language": "en"}).content, tmp_path))
    assert "Jo Minister, Minister of Culture (Government): delivered on" in text
    assert "with 4 signatures and 2 organisations" in text
    # Still the same count: a delivery changes none.
    assert "4 signatures · 2 organisations" in text


def test_thousands_of_names_are_set_compactly_and_every_one_is_printed(client, signed, tmp_path):
    bulk_signatures(signed.statement, 3000, hidden_every=10)
    bulk_sign_ons(signed.statement, 40)
    seal_pending()
    pdf = signed_statement_pdf_bytes(statement_id=signed.statement.pk, language="en")
    text = pdf_text(pdf, tmp_path)
    # Word by word, without the initials' full stops (which a right-to-left name sets on its left).
    words = {word.strip(".") for word in one_line(text).split()}
    shown = [signer_name(number) for number in range(3000) if number % 10 != 9]
    # A name longer than its column wraps (rather than overflowing): look for it without the breaks.
    # (pdftotext also joins the two halves of a word broken after a hyphen, dropping the hyphen.)
    compact = "".join(one_line(text).split()).replace("-", "")
    missing = [
        name
        for name in shown
        if not {word.strip(".") for word in name.split()} <= words
        and "".join(name.split()).replace("-", "") not in compact
    ]
    assert missing == []
    assert "3,004 signatures · 42 organisations" in one_line(text)
    assert "Neighbourhood Association number 39" in one_line(text)
    # Compact: names run on across the whole line, several to a line, few pages for thousands.
    layout = pdf_text(pdf, tmp_path, layout=True)
    assert any(line.count(" · ") >= 4 for line in layout.splitlines())
    assert int(pdf_info(pdf, tmp_path)["Pages"]) < 30


def test_the_csv_is_one_table_a_spreadsheet_can_filter_by_kind(client, signed):
    response = client.get(f"/statements/{SLUG}/signed-statement.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    kinds = {row["kind"] for row in rows}
    assert {"ledger_head", "signatures_total", "signatures_by_country", "organisation", "public_name"} <= kinds
    assert next(row for row in rows if row["kind"] == "signatures_total")["count"] == "4"
    assert next(row for row in rows if row["kind"] == "hidden_names")["count"] == "1"
    names = {row["name"] for row in rows if row["kind"] == "public_name"}
    assert names == {"Ada Lovelace", "مريم حداد", "Grace H."}
    assert "Hidden Person" not in body and "@" not in body
    again = client.get(f"/statements/{SLUG}/signed-statement.csv", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_name_a_spreadsheet_would_run_as_a_formula_stays_text(client, signed):
    sign(signed, email="formula@example.org", name="=HYPERLINK(1)", country="FR", confirm=True)
    body = b"".join(client.get(f"/statements/{SLUG}/signed-statement.csv").streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_the_json_has_its_documented_shape(client, signed):
    response = client.get(f"/statements/{SLUG}/signed-statement.json", {"language": "ar"})
    assert response.status_code == 200
    document = json.loads(b"".join(response.streaming_content))
    assert set(document) == {
        "statement",
        "language",
        "title",
        "issuing_body",
        "revision",
        "url",
        "transparency_url",
        "ledger_head",
        "signatures",
        "organisations",
        "public_names",
        "deliveries",
        "read_at",
    }
    assert document["language"] == "ar" and document["title"] == "بيان بشأن ساعات عمل المكتبات العامة"
    assert document["signatures"] == {"total": 4, "by_country": {"GB": 1, "MA": 1, "US": 1, "FR": 1}, "hidden_names": 1}
    assert document["organisations"]["total"] == 2 and len(document["organisations"]["items"]) == 2
    assert sorted(item["name"] for item in document["public_names"]) == sorted(
        ["Ada Lovelace", "مريم حداد", "Grace H."]
    )
    head = client.get(f"/statements/{SLUG}/transparency/head.json").json()
    assert document["ledger_head"]["seq"] == head["seq"] and document["ledger_head"]["hash"] == head["hash"]
    assert document["ledger_head"]["pending_events"] == 0


def test_the_command_writes_the_pdf_and_reports_progress(signed, tmp_path, capsys):
    output = tmp_path / "statement.pdf"
    call_command("export_pdf", statement=SLUG, language="ar", output=str(output), paper="letter")
    assert output.read_bytes().startswith(b"%PDF")
    assert pdf_info(output.read_bytes(), tmp_path)["Page size"].endswith("(letter)")
    progress = capsys.readouterr().err
    assert "gathering" in progress and "laying out 3 public names" in progress and "wrote" in progress


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"statement": "no-such-statement", "language": "en"}, "no statement 'no-such-statement'"),
        ({"statement": SLUG, "language": "de"}, "is not published in 'de'; it is in: ar, en, fr"),
    ],
)
def test_the_command_explains_what_is_wrong(signed, tmp_path, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_pdf", output=str(tmp_path / "x.pdf"), **options)


def test_building_a_pdf_leaves_pillow_refusing_damaged_images(signed):
    from PIL import ImageFile

    signed_statement_pdf_bytes(statement_id=signed.statement.pk, language="en")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_thousands_of_names_stream_in_order_with_the_hidden_count_after_them(client, signed):
    bulk_signatures(signed.statement, 2500, hidden_every=10)  # more than two of the JSON's batches
    seal_pending()
    shown = [signer_name(number) for number in range(2500) if number % 10 != 9]

    response = client.get(f"/statements/{SLUG}/signed-statement.json", {"language": "en"})
    document = json.loads(b"".join(response.streaming_content))
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(client.get(f"/statements/{SLUG}/signed-statement.csv").streaming_content)
                .decode()
                .lstrip("\ufeff")
            )
        )
    )

    assert response.streaming  # sent while read, never held whole
    assert [item["name"] for item in document["public_names"]][: len(shown)] == shown  # oldest first
    assert document["signatures"]["total"] == 2504 and document["signatures"]["hidden_names"] == 250 + 1
    assert [row["name"] for row in rows if row["kind"] == "public_name"][: len(shown)] == shown
    assert next(row for row in rows if row["kind"] == "hidden_names")["count"] == "251"


def test_the_pdf_sums_up_approved_actions_apart_from_the_signatures(client, signed, tmp_path):
    before = one_line(pdf_text(client.get(PDF_URL, {"language": "en"}).content, tmp_path))
    assert "Solidarity actions" not in before
    member = member_organisation()
    for kind, country in [("forum", "FR"), ("forum", "ES"), ("republication", "FR")]:
        SolidarityActionFactory(statement=signed.statement, organisation=member, kind=kind, country=country)
    SolidarityActionFactory(statement=signed.statement, organisation=member, kind="rally", status="awaiting")

    text = one_line(pdf_text(client.get(PDF_URL, {"language": "en"}).content, tmp_path))
    assert "3 actions in 2 countries" in text
    assert "Public forum or meeting: 2" in text and "Re-publication of the statement: 1" in text
    assert "Rally" not in text
    assert "they are not part of the signature count" in text
    assert "4 signatures · 2 organisations" in text  # the counts of signatures are the same

    french = one_line(pdf_text(client.get(PDF_URL, {"language": "fr"}).content, tmp_path))
    assert "3 actions dans 2 pays" in french


def test_given_the_action_counts_the_pdf_shows_those_and_is_kept_for_them(signed, tmp_path):
    """A delivery reads the counts once and states them beside the PDF: the PDF shows those, even
    when the actions changed since, and a file kept for other counts is not handed out for them."""
    member = member_organisation()
    for country in ("FR", "ES"):
        SolidarityActionFactory(statement=signed.statement, organisation=member, kind="forum", country=country)
    statement_id = signed.statement.pk
    read = action_counts(statement_id)
    live = one_line(pdf_text(signed_statement_pdf_bytes(statement_id=statement_id, language="en"), tmp_path))
    assert "2 actions in 2 countries" in live
    SolidarityAction.objects.filter(country="ES").update(status="withdrawn", withdrawn_at=timezone.now())

    now = signed_statement_pdf_bytes(statement_id=statement_id, language="en", actions=action_counts(statement_id))
    assert "1 action in 1 country" in one_line(pdf_text(now, tmp_path))
    given = signed_statement_pdf_bytes(statement_id=statement_id, language="en", actions=read)
    assert "2 actions in 2 countries" in one_line(pdf_text(given, tmp_path))
    # The file kept is the last one built, and it shows the actions its key names.
    (kept,) = SignedStatementFile.objects.filter(statement_id=statement_id, created_at__isnull=False)
    assert kept.counts_key == counts_key(statement_id=statement_id, language="en", actions=read)
    assert bytes(kept.pdf) == given
