"""/metrics, scraped as Prometheus scrapes it and read by prometheus_client's own parser of the
text format: its figures against the database after people sign and confirm, its cost, and who
may read it."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from undersigned.ledger.models import PendingEvent
from undersigned.ledger.services import seal_pending
from undersigned.ledger.tasks import seal_ledger
from undersigned.notifications.models import OutgoingMail
from undersigned.signatures.models import Signature
from undersigned.signatures.tallies import tally_for_statement
from undersigned.signatures.tests.conftest import build_open_statement, form_data, sign, signature_of
from undersigned.signatures.tokens import SignatureRef, confirm_token

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789-abcdefghijklmnop"
OUTSIDER = "203.0.113.9"
SEAL_LEDGER = "undersigned.ledger.tasks.seal_ledger"


def scrape(client, **headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels, as Prometheus would read them."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"{key} twice"
            samples[key] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_figures_match_what_people_signed_confirmed_and_what_waits(
    libraries, client, django_capture_on_commit_callbacks
):
    target = build_open_statement(libraries)
    slug = target.statement.slug
    sign_view = resolve(target.sign_url).view_name
    before = scrape(client)

    signed_at = timezone.now()
    with time_machine.travel(signed_at, tick=False):
        for number in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(target.sign_url, form_data(target.revision, email=f"signer{number}@example.org"))
            assert response.status_code == 200
        for number in range(2):
            signature = signature_of(target.statement, f"signer{number}@example.org")
            link = confirm_token(SignatureRef(signature_id=signature.pk, statement_id=target.statement.pk))
            assert client.post(f"/signatures/confirm/{link}/").status_code == 302
    # A task that failed after its worker died once.
    failed = seal_ledger.enqueue()
    DBTaskResult.objects.filter(pk=failed.id).update(status=TaskResultStatus.FAILED, worker_ids=["one", "two"])

    with time_machine.travel(signed_at + timedelta(seconds=90), tick=False):
        after = scrape(client)

    accepted = "undersigned_signatures_accepted_total"
    assert value(after, accepted, statement=slug) - value(before, accepted, statement=slug) == 3
    assert Signature.objects.filter(statement=target.statement, status=Signature.Status.CONFIRMED).count() == 2
    assert value(after, "undersigned_signatures_confirmed", statement=slug) == 2
    assert tally_for_statement(target.statement.pk, fresh=True).total == 2

    queued = OutgoingMail.objects.count()
    assert queued >= 3  # the confirmation links, and whatever a confirmation sends
    assert value(after, "undersigned_mail_queue_messages") == queued
    assert value(after, "undersigned_mail_queue_tried_messages") == 0
    assert value(after, "undersigned_mail_queue_oldest_seconds") == pytest.approx(90, abs=1)

    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    deliver_mail = "undersigned.notifications.tasks.deliver_mail"
    assert value(after, "undersigned_tasks", state="ready", task=deliver_mail) == (
        ready.filter(task_path=deliver_mail).count()
    )
    assert value(after, "undersigned_tasks", state="ready", task=deliver_mail) >= 3
    assert value(after, "undersigned_tasks", state="failed", task=SEAL_LEDGER) == 1
    assert value(after, "undersigned_tasks_retried", state="failed", task=SEAL_LEDGER) == 1
    # The confirmation mails' tasks have waited since they were enqueued; the ledger's sealing is
    # due two seconds after, and the failed task does not wait.
    assert value(after, "undersigned_tasks_oldest_due_seconds") == pytest.approx(90, abs=1)

    assert PendingEvent.objects.count() == 2  # the two confirmations, not yet sealed
    assert value(after, "undersigned_ledger_pending_events") == 2
    assert value(after, "undersigned_ledger_sealing_lag_seconds") == pytest.approx(90, abs=1)
    seal_pending()
    sealed = scrape(client)
    assert value(sealed, "undersigned_ledger_pending_events") == 0
    assert value(sealed, "undersigned_ledger_sealing_lag_seconds") == 0

    timed = "undersigned_request_duration_seconds_count"
    assert value(after, timed, view=sign_view, method="POST") - value(before, timed, view=sign_view, method="POST") == 3
    assert value(after, timed, view="metrics", method="GET") >= 1
    assert value(after, "undersigned_database_up") == 1


def test_a_withdrawn_signer_who_signs_again_is_accepted_again(libraries, django_capture_on_commit_callbacks, client):
    from undersigned.signatures.services import signature_withdraw

    target = build_open_statement(libraries, slug="withdrawn-and-again")
    name = "undersigned_signatures_accepted_total"
    before = value(scrape(client), name, statement=target.statement.slug)
    with django_capture_on_commit_callbacks(execute=True):
        signature = sign(target, email="again@example.org", confirm=True)
    signature_withdraw(signature_id=signature.pk, statement_id=target.statement.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sign(target, email="again@example.org")
        sign(target, email="again@example.org")  # pending: a second mail, not a second signature
    assert value(scrape(client), name, statement=target.statement.slug) - before == 2


def test_a_scrape_costs_the_same_few_queries_whatever_the_signatures_and_never_reads_them(libraries, client):
    target = build_open_statement(libraries)
    for number in range(5):
        sign(target, email=f"many{number}@example.org", confirm=number % 2 == 0)
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    few = len(queries)
    # Nine for the tallies, mail, tasks and ledger; three for the site log (size, newest checkpoint, witnesses).
    assert few <= 12, [query["sql"] for query in queries]
    assert not any("signatures_signature" in query["sql"] for query in queries), [q["sql"] for q in queries]

    build_open_statement(libraries, slug="a-second-statement")
    for number in range(5, 15):
        sign(target, email=f"many{number}@example.org", confirm=True)
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    assert len(queries) == few


def test_failed_tasks_are_counted_through_their_own_index(libraries):
    """The failed-task count reads the partial index made for it, not the whole task table (on
    PostgreSQL with the planner's choice forced away from a table scan, as on a big table)."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's; SQLite reads the same rows")
    from undersigned.monitoring.selectors import TASK_STATES

    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT task_path, COUNT(*) FROM {table} WHERE {TASK_STATES['failed'][0]} GROUP BY task_path"  # noqa: S608
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "monitoring_failed_tasks_idx" in plan, plan


# --- Who may read it ------------------------------------------------------------------------------


def test_an_address_outside_the_allowed_networks_gets_the_sites_not_found(client):
    refused = client.get("/metrics", REMOTE_ADDR=OUTSIDER)
    unknown = client.get("/no-such-page", REMOTE_ADDR=OUTSIDER)
    assert refused.status_code == unknown.status_code == 404
    assert refused["Content-Type"] == unknown["Content-Type"]
    assert b"undersigned_" not in refused.content


def test_loopback_may_read_it_by_default_with_any_host_header(client):
    # Prometheus scrapes each app server by its address: the Host is no name the site serves.
    response = client.get("/metrics", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Request-ID"]


def test_the_token_lets_any_address_in_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    for wrong in (f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer ", ""):
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=wrong).status_code == 404, wrong


def test_without_a_token_setting_no_bearer_gets_in(client, settings):
    settings.METRICS_TOKEN = None
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer None").status_code == 404


def test_behind_a_trusted_proxy_the_client_address_decides(client, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    # The proxy on loopback passes on a visitor from outside: the visitor's address counts, not the proxy's.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDER).status_code == 404
    assert client.get("/metrics").status_code == 404  # loopback is not in the allowed networks now
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200
    # A forged header from a peer that is not a proxy is not believed.
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 404


def test_none_leaves_only_the_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_only_get_is_answered(client):
    assert client.post("/metrics").status_code in {403, 404}
    assert client.head("/metrics").status_code == 404
