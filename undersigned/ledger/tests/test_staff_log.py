"""The secretariat's page of the site's log: who may see it, adding witnesses with good and bad
input, setting them aside, and a real witness (the Go test witness on loopback) that cosigns the
log's checkpoints through the page, then refuses one signed by another key, which the dashboard,
the page and /metrics all raise."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django_tasks_db.models import DBTaskResult

from undersigned.core.models import AuditEvent
from undersigned.ledger import site_log, tlog
from undersigned.ledger.models import LogCosignature, LogWitness
from undersigned.ledger.services import seal_pending
from undersigned.ledger.tests.test_site_log import signed
from undersigned.ledger.witness_services import witness_url_normalised
from undersigned.ledger.witnessing import witness_newest_checkpoint
from undersigned.monitoring.tests.test_metrics import scrape, value
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.testing import editor, secretariat, staff_login

pytestmark = pytest.mark.django_db

PAGE = "/staff/log/"
SEND_TASK = "undersigned.ledger.tasks.send_checkpoint_to_witnesses"


def witness_key(name: str = "witness.example/one") -> tlog.Verifier:
    """A witness's cosignature key (type 0x04), as a witness publishes it."""
    public_key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return tlog.Verifier(name, tlog.COSIGNATURE_V1, public_key)


def add(client, vkey: str, url: str = "https://witness.example.org/submission"):
    return client.post(PAGE, {"vkey": vkey, "url": url})


@pytest.fixture
def sam(client):
    user = secretariat()
    staff_login(client, user)
    return user


# --- Who may see it ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    answer = client.get(PAGE)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/sign-in/")
    for path in (PAGE, "/staff/log/send/", "/staff/log/witnesses/1/"):
        assert client.post(path, {"vkey": witness_key().vkey, "action": "deactivate"}).status_code == 302
    assert not LogWitness.objects.exists()


def test_staff_outside_the_secretariat_are_forbidden_and_change_nothing(client):
    staff_login(client, editor())
    witness = LogWitness.objects.create(name="witness.example/kept", url="https://kept.example", vkey="x")
    assert client.get(PAGE).status_code == 403
    assert add(client, witness_key().vkey).status_code == 403
    assert client.post(f"/staff/log/witnesses/{witness.pk}/", {"action": "deactivate"}).status_code == 403
    assert client.post("/staff/log/send/").status_code == 403
    assert list(LogWitness.objects.values_list("name", "active")) == [("witness.example/kept", True)]
    assert not DBTaskResult.objects.exists()
    dashboard = client.get("/staff/").content.decode()
    assert PAGE not in dashboard


def test_the_page_shows_the_logs_origin_key_and_size(client, sam):
    page = client.get(PAGE).content.decode()
    verifier = site_log.log_verifiers()[0]
    assert "testserver/log" in page
    assert verifier.vkey in page
    assert "0 entries" in page
    assert "No witness yet." in page
    assert PAGE in client.get("/staff/").content.decode()  # the dashboard's link


# --- Adding a witness -------------------------------------------------------------------------------


def test_a_witness_is_added_with_its_keys_name_and_the_change_is_audited(client, sam):
    key = witness_key()
    answer = add(client, f"  {key.vkey}  ", url="https://witness.example.org/submission/")
    assert answer.status_code == 302
    witness = LogWitness.objects.get()
    assert (witness.name, witness.vkey, witness.url, witness.active) == (
        "witness.example/one",
        key.vkey,
        "https://witness.example.org/submission",
        True,
    )
    event = AuditEvent.objects.get(action="log_witness.added")
    assert (event.actor_id, event.subject_id, event.detail["name"]) == (sam.pk, witness.pk, witness.name)
    page = client.get(PAGE).content.decode()
    assert "The witness witness.example/one is added." in page
    assert key.vkey in page
    assert "Never" in page


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("", "This field is required."),
        ("not a key at all", "This is not a public key the site can read."),
        ("witness.example/one+00000000+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a public key the site can"),
        ("witness.example/one+abcd+!!!", "This is not a public key the site can read."),
        ("a" * 301, "Ensure this value has at most 300 characters"),
        ("log-key", "This is a key for signing notes, not a witness&#x27;s cosignature key."),
    ],
)
def test_a_key_that_is_not_a_witnesss_cosignature_key_is_explained_and_nothing_is_stored(client, sam, vkey, message):
    if vkey == "log-key":  # the log's own key: type 0x01, which signs notes but cannot cosign
        vkey = site_log.log_verifiers()[0].vkey
    answer = add(client, vkey)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not LogWitness.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="log_witness.").exists()


def test_a_second_witness_with_the_same_name_is_refused(client, sam):
    assert add(client, witness_key().vkey).status_code == 302
    answer = add(client, witness_key().vkey, url="https://other.example.org")
    assert answer.status_code == 400
    assert "A witness named witness.example/one is already set." in answer.content.decode()
    assert LogWitness.objects.get().url == "https://witness.example.org/submission"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "witness.example.org",
        "ftp://witness.example.org",
        "http://witness.example.org/submission",
        "https://",
        "https://witness.example.org/?origin=x",
        "https://witness.example.org/#top",
        "https://user:secret@witness.example.org",
        "https://witness.example.org:99999",
        "https://witness example.org",
        "https://wit\\ness.example.org",
        "javascript:alert(1)",
        "https://" + "a" * 500 + ".org",
    ],
)
def test_an_address_that_is_not_an_https_witness_is_explained_and_nothing_is_stored(client, sam, url):
    answer = add(client, witness_key().vkey, url=url)
    assert answer.status_code == 400
    content = answer.content.decode()
    assert 'id="id_url_error"' in content
    assert any(
        message in content
        for message in (
            "This field is required.",
            "Enter the witness&#x27;s address",
            "must start with https://",
            "Ensure this value has at most 500 characters",
        )
    )
    assert not LogWitness.objects.exists()


def test_a_bad_key_and_a_bad_address_are_both_named(client, sam):
    content = add(client, "nope", url="ftp://x").content.decode()
    assert 'id="id_vkey_error"' in content
    assert 'id="id_url_error"' in content


def test_plain_http_is_only_for_a_witness_on_this_machine_or_a_development_site(settings):
    assert witness_url_normalised("http://127.0.0.1:8123/") == "http://127.0.0.1:8123"
    assert witness_url_normalised("http://[::1]:8123/witness") == "http://[::1]:8123/witness"
    assert witness_url_normalised("http://localhost:8123") == "http://localhost:8123"
    settings.DEBUG = True
    assert witness_url_normalised("http://witness.test/") == "http://witness.test"


# --- Setting witnesses aside, asking them now -------------------------------------------------------


def test_a_witness_is_set_aside_and_taken_back(client, sam):
    add(client, witness_key().vkey)
    witness = LogWitness.objects.get()
    action = f"/staff/log/witnesses/{witness.pk}/"
    assert 'value="deactivate"' in client.get(PAGE).content.decode()

    assert client.post(action, {"action": "deactivate"}).status_code == 302
    witness.refresh_from_db()
    assert not witness.active
    page = client.get(PAGE).content.decode()
    assert "The witness witness.example/one is set aside." in page
    assert 'value="activate"' in page

    assert client.post(action, {"action": "activate"}).status_code == 302
    witness.refresh_from_db()
    assert witness.active
    assert list(
        AuditEvent.objects.filter(subject_id=witness.pk, action__startswith="log_witness.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["log_witness.added", "log_witness.deactivated", "log_witness.activated"]

    # The same answer twice changes nothing and records nothing more.
    client.post(action, {"action": "activate"})
    assert AuditEvent.objects.filter(action__startswith="log_witness.").count() == 3
    assert "Choose to set the witness aside" in client.post(action, {"action": "x"}, follow=True).content.decode()
    assert client.post("/staff/log/witnesses/999999/", {"action": "activate"}).status_code == 404
    assert client.post(f"/staff/log/witnesses/{2**70}/", {"action": "activate"}).status_code == 404


def test_send_now_queues_the_witnessing_only_when_a_witness_is_active(client, sam):
    answer = client.post("/staff/log/send/", follow=True)
    assert "No witness is active" in answer.content.decode()
    assert not DBTaskResult.objects.exists()
    add(client, witness_key().vkey)
    answer = client.post("/staff/log/send/", follow=True)
    assert "The newest checkpoint is on its way to the witnesses." in answer.content.decode()
    assert DBTaskResult.objects.filter(task_path=SEND_TASK).count() == 1


# --- A real witness ---------------------------------------------------------------------------------


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


@pytest.mark.django_db(transaction=True)  # the worker reads committed rows
def test_a_real_witness_cosigns_through_the_page_then_its_refusal_is_raised_everywhere(
    client, sam, target, go_witness, run_tasks, settings
):
    log_key = site_log.log_verifiers()[0]
    witness = go_witness(log_key.vkey)
    assert add(client, witness.vkey, url=witness.url).status_code == 302
    name = LogWitness.objects.get().name
    assert name == "witness.example/go"

    for number in range(2):
        signed(target, number)
    seal_pending()
    # The page's button queues the task; the worker sends the checkpoint.
    client.post("/staff/log/send/")
    run_tasks()
    assert LogCosignature.objects.filter(witness__name=name, checkpoint__size=2).exists()
    page = client.get(PAGE).content.decode()
    assert "2 entries, signed" in page  # the newest checkpoint
    assert "2 entries, " in page.split(witness.vkey)[1]  # the size the witness cosigned
    assert "Refusing since" not in page
    assert "refuse" not in client.get("/staff/").content.decode()

    # The log's key is swapped for another of the same name: the witness will not cosign what it signs.
    own_key = settings.LOG_KEY
    settings.LOG_KEY = tlog.Signer.generate("testserver/log").skey
    signed(target, 2)
    seal_pending()
    (outcome,) = witness_newest_checkpoint()
    assert outcome.startswith(f"{name}: refused (403)")
    problem = LogWitness.objects.get().problem
    assert problem.startswith("refused (403)")

    dashboard = client.get("/staff/").content.decode()
    assert 'role="alert"' in dashboard
    assert "A witness refuses the log's checkpoints." in dashboard
    assert f"<bdi>{name}</bdi>, since" in dashboard
    assert problem.split(":")[0] in dashboard
    assert f'href="{PAGE}"' in dashboard
    page = client.get(PAGE).content.decode()
    assert "A witness refuses the log's checkpoints." in page
    assert "Refusing since" in page
    assert value(scrape(client), "undersigned_log_witness_refusing", witness=name) == 1

    # A witness set aside raises no alert; taken back, it does again.
    witness_id = LogWitness.objects.get().pk
    client.post(f"/staff/log/witnesses/{witness_id}/", {"action": "deactivate"})
    assert "refuses" not in client.get("/staff/").content.decode()
    client.post(f"/staff/log/witnesses/{witness_id}/", {"action": "activate"})
    assert "refuses" in client.get("/staff/").content.decode()

    # The log's own key again: the witness cosigns, and the alert goes.
    settings.LOG_KEY = own_key
    signed(target, 3)
    seal_pending()
    assert witness_newest_checkpoint() == [f"{name}: cosigned 4"]
    assert "refuses" not in client.get("/staff/").content.decode()
    assert value(scrape(client), "undersigned_log_witness_refusing", witness=name) == 0
