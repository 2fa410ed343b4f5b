"""The transparency page, the export and head it links to, and the signer's receipt."""

from __future__ import annotations

import json

import pytest

from undersigned.ledger.services import seal_pending
from undersigned.signatures.services import signatures_invalidate
from undersigned.signatures.tests.conftest import build_open_statement, sign
from undersigned.signatures.tokens import SignatureRef, withdraw_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(libraries):
    return build_open_statement(libraries)


def test_the_page_shows_the_count_the_head_the_chart_and_the_removals(client, target):
    signatures = [sign(target, email=f"p{n}@example.org", country="FR", confirm=True) for n in range(3)]
    signatures_invalidate(
        actor=None, statement=target.statement, signature_ids=[signatures[0].pk], reason="burst from one network"
    )
    seal_pending()
    page = client.get(f"/statements/{target.statement.slug}/transparency/").content.decode()
    assert '<span class="tally__number">2</span>' in page
    assert "<svg" in page and "polyline" in page and "<script" not in page.split("<main", 1)[1]
    assert "burst from one network" in page
    head = client.get(f"/statements/{target.statement.slug}/transparency/head.json").json()
    assert head["seq"] == 4 and head["hash"] in page
    assert head["counts"]["signatures"] == {"total": 2, "by_country": {"FR": 2}}
    export = b"".join(client.get(f"/statements/{target.statement.slug}/transparency/ledger.jsonl").streaming_content)
    lines = [json.loads(line) for line in export.decode().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4] and lines[-1]["hash"] == head["hash"]
    assert client.get("/transparency/verify_statement.py").status_code == 200


def test_the_statement_page_links_to_it(client, target):
    assert (
        f"/statements/{target.statement.slug}/transparency/"
        in client.get(f"/statements/{target.statement.slug}/").content.decode()
    )


def test_a_receipt_from_the_thank_you_page_is_found_counted(client, target):
    signature = sign(target, email="ana@example.org", confirm=True)
    token = withdraw_token(SignatureRef(signature_id=signature.pk, statement_id=target.statement.pk))
    thanks = client.get(f"/signatures/thanks/{token}/").content.decode()
    assert signature.public_id in thanks
    seal_pending()
    typed = signature.public_id.lower()[:8] + "-" + signature.public_id.lower()[8:]
    page = client.get(f"/statements/{target.statement.slug}/transparency/", {"receipt": typed}).content.decode()
    assert "This signature is counted: it is entry 1 of the log." in page
    assert (
        "No signature"
        in client.get(f"/statements/{target.statement.slug}/transparency/", {"receipt": "x" * 5000}).content.decode()
    )


@pytest.mark.parametrize("typed", ["AB\x00CD", "<b>é</b>", "Ω" * 30, "-"])
def test_a_receipt_that_cannot_be_one_is_unknown_without_an_error(client, target, typed):
    response = client.get(f"/statements/{target.statement.slug}/transparency/", {"receipt": typed})
    assert response.status_code == 200
    assert "No signature of this statement has this receipt number" in response.content.decode()


def test_drafts_have_no_transparency_page(client, libraries):
    from undersigned.statements.models import Statement

    target = build_open_statement(libraries)
    Statement.objects.filter(pk=target.statement.pk).update(status=Statement.Status.DRAFT)
    assert client.get(f"/statements/{target.statement.slug}/transparency/").status_code == 404
    assert client.get(f"/statements/{target.statement.slug}/transparency/head.json").status_code == 404


def test_an_earlier_head_can_be_exported(client, target):
    sign(target, email="a@example.org", confirm=True)
    seal_pending()
    sign(target, email="b@example.org", confirm=True)
    seal_pending()
    export = b"".join(
        client.get(f"/statements/{target.statement.slug}/transparency/ledger.jsonl", {"seq": "1"}).streaming_content
    )
    assert len(export.decode().splitlines()) == 1
    bad = b"".join(
        client.get(f"/statements/{target.statement.slug}/transparency/ledger.jsonl", {"seq": "x"}).streaming_content
    )
    assert len(bad.decode().splitlines()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_mail_carries_the_receipt_number(libraries, smtp_server, run_tasks):
    target = build_open_statement(libraries)
    signature = sign(target, email="mail@example.org")
    run_tasks()
    assert signature.public_id in smtp_server.text_of(smtp_server.messages[-1])


def test_the_page_says_how_many_are_held(client, target):
    from undersigned.signatures.models import Signature

    sign(target, email="a@example.org", confirm=True)
    Signature.objects.update(status=Signature.Status.HELD)
    page = client.get(f"/statements/{target.statement.slug}/transparency/").content.decode()
    assert "1 confirmed signature is held for review now" in page


def test_the_log_and_the_head_of_one_moment_stay_together(client, target):
    sign(target, email="a@example.org", confirm=True)
    seal_pending()
    page = client.get(f"/statements/{target.statement.slug}/transparency/").content.decode()
    assert "ledger.jsonl?seq=1" in page and "head.json?seq=1" in page
    sign(target, email="b@example.org", confirm=True)
    seal_pending()  # a new head between the page and the downloads
    head = client.get(f"/statements/{target.statement.slug}/transparency/head.json", {"seq": "1"}).json()
    assert head["seq"] == 1 and head["counts"]["signatures"]["total"] == 1
    assert client.get(f"/statements/{target.statement.slug}/transparency/head.json", {"seq": "7"}).status_code == 404


def test_the_charts_take_each_hours_and_days_last_head_in_a_few_queries(target, django_assert_max_num_queries):
    from datetime import UTC, datetime, timedelta

    from undersigned.ledger.chain import empty_counts
    from undersigned.ledger.models import Checkpoint
    from undersigned.ledger.selectors import counts_over_time

    start = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    for seq in range(1, 301):  # a head every twelve minutes for sixty hours: five an hour
        counts = empty_counts()
        counts["signatures"]["total"] = seq * 10
        at = start + timedelta(minutes=12 * (seq - 1))
        Checkpoint.objects.create(statement=target.statement, seq=seq, hash=f"{seq:064x}", counts=counts, sealed_at=at)

    with django_assert_max_num_queries(4):
        hours, days = counts_over_time(target.statement.pk)

    assert len(hours) == 48  # the last 48 hours; the story does not fit, so no zero first
    # Each point is labelled with the time its count was sealed: never an hour still to come.
    assert hours[-1].label == "2026-03-04 09:48" and hours[-1].total == 3000
    assert hours[0].label == "2026-03-02 10:48" and hours[0].total == 650  # heads 61-65 sealed 10:00-10:48
    assert [(point.label, point.total) for point in days[1:]] == [
        ("2026-03-01 23:48", 100),
        ("2026-03-02 23:48", 1300),
        ("2026-03-03 23:48", 2500),
        ("2026-03-04 09:48", 3000),
    ]
    assert days[0].total == 0


def test_a_count_that_rose_and_fell_back_between_two_points_is_marked(client, target):
    from undersigned.ledger.selectors import counts_over_time

    seal_pending()
    signature = sign(target, email="once@example.org", confirm=True)
    signatures_invalidate(actor=None, statement=target.statement, signature_ids=[signature.pk], reason="a test")
    seal_pending()  # one head: confirmed and invalidated within it, so the line shows 0 and 0
    hours, _days = counts_over_time(target.statement.pk)
    assert [point.total for point in hours][-1] == 0 and hours[-1].removed == 1
    page = client.get(f"/statements/{target.statement.slug}/transparency/").content.decode()
    assert 'class="chart__removal"' in page
    assert "1 signature withdrawn or invalidated since the point before" in page
