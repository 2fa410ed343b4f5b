"""The signer's journey through the site's addresses, and what bad input gets there."""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from undersigned.notifications.models import OutgoingMail
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, SignerInput, signature_confirm, signature_record
from undersigned.signatures.tallies import tally_differences
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_close, statement_set_window, statement_withdraw
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import drawn_form_token

pytestmark = pytest.mark.django_db

SLUG = "library-opening-hours"
STATEMENT_URL = f"/statements/{SLUG}/"
SIGN_URL = f"/statements/{SLUG}/sign/"
LIST_URL = f"/statements/{SLUG}/signatures/"
ANA = "ana.lopez@example.org"
STARTED_SALT = "undersigned.signatures.form-started"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def statement(libraries):
    return published_statement(libraries, translations=())


def started(seconds_ago: float | None = None) -> str:
    return drawn_form_token(SIGN_FORM_TIMER, seconds_ago)


def revision_id(statement: Statement) -> int:
    published = statement.texts.get(language="en").published_revision_id
    assert published is not None
    return published


def form_data(statement: Statement, **overrides: str | None) -> dict[str, str]:
    """What a person's browser sends; an override of None leaves the field out."""
    data: dict[str, str | None] = {
        "name": "Ana María López",
        "email": ANA,
        "country": "FR",
        "city": "Lyon",
        "affiliation": "",
        "name_shown": "full",
        "revision": str(revision_id(statement)),
        "started": started(),
        "website": "",
        **overrides,
    }
    return {field: value for field, value in data.items() if value is not None}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as the site would handle it, running what waits for the transaction to commit
    (the mail's task, forgetting the cached tally)."""

    def send(path: str, data: dict[str, str] | None = None, **kwargs: object):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data or {}, **kwargs)

    return send


def count_on_page(client: Client) -> int:
    content = client.get(STATEMENT_URL).content.decode()
    match = re.search(r'<span class="tally__number">(\d+)</span>', content)
    assert match, "no count on the statement page"
    return int(match.group(1))


def without_csrf(content: bytes) -> str:
    return CSRF_TOKEN.sub("", content.decode())


def sign_directly(statement: Statement, email: str = ANA, **signer: object) -> Signature:
    """A pending signature built through the service, for tests of the links."""
    signature_record(
        statement=statement,
        revision=statement.texts.get(language="en").published_revision,
        signer=SignerInput(**{"name": "Ana María López", "email": email, "country": "FR", **signer}),
        # One network per address: many signatures from one network are a fraud signal.
        network_hash=email_hash(email),
        language="en",
        proof_of_work=False,
    )
    return Signature.objects.get(statement=statement, email_hash=email_hash(email))


def ref_of(signature: Signature) -> SignatureRef:
    return SignatureRef(signature_id=signature.pk, statement_id=signature.statement_id)


# --- The statement page -------------------------------------------------------------------------


def test_an_open_statement_shows_the_sign_form_and_the_count(client, statement):
    content = client.get(STATEMENT_URL).content.decode()
    assert f'action="{SIGN_URL}"' in content
    assert 'name="started"' in content
    assert f'name="revision" value="{revision_id(statement)}"' in content
    assert count_on_page(client) == 0


def _close(statement: Statement) -> None:
    statement_close(actor=None, statement=statement)


def _withdraw(statement: Statement) -> None:
    statement_withdraw(actor=None, statement=statement)


def _not_open_yet(statement: Statement) -> None:
    statement_set_window(actor=None, statement=statement, opens_at=timezone.now() + timedelta(days=3), closes_at=None)


def _past_closing(statement: Statement) -> None:
    statement_set_window(
        actor=None,
        statement=statement,
        opens_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_close, "This statement is closed: it takes no more signatures."),
        (_past_closing, "This statement is closed: it takes no more signatures."),
        (_withdraw, "This statement was withdrawn by its issuing body and takes no signatures."),
        (_not_open_yet, "Signatures open on"),
    ],
)
def test_a_statement_that_takes_no_signatures_says_why(client, post, statement, change, reason):
    change(statement)

    content = client.get(STATEMENT_URL).content.decode()
    assert reason in content
    assert f'action="{SIGN_URL}"' not in content
    assert count_on_page(client) == 0

    response = post(SIGN_URL, form_data(statement))
    assert response.status_code == 410
    assert "This statement does not take signatures now" in response.content.decode()
    assert Signature.objects.count() == 0


# --- The journey --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_a_signer_signs_confirms_by_post_and_withdraws(client, post, statement, smtp_server, run_tasks):
    response = post(SIGN_URL, form_data(statement))
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert smtp_server.messages == []  # nothing is sent inside the request

    run_tasks()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == ANA
    paths = [urlsplit(link).path for link in smtp_server.links_in(message)]
    confirm_path = next(path for path in paths if path.startswith("/signatures/confirm/"))
    assert any(path.startswith("/signatures/withdraw/") for path in paths)
    assert OutgoingMail.objects.count() == 0  # the address is gone once the mail is delivered

    # A mail scanner opening the link confirms nothing.
    opened = client.get(confirm_path)
    assert opened.status_code == 200
    assert "Confirm my signature" in opened.content.decode()
    assert opened.headers["X-Robots-Tag"] == "noindex"
    assert count_on_page(client) == 0
    assert Signature.objects.get().status == Signature.Status.PENDING

    confirmed = post(confirm_path)
    assert confirmed.status_code == 302
    assert confirmed.url.startswith("/signatures/thanks/")
    thanks = client.get(confirmed.url).content.decode()
    assert "Thank you: your signature is counted" in thanks
    assert "1 person has signed." in thanks
    withdraw_path = re.search(r'href="(/signatures/withdraw/[^"]+)"', thanks).group(1)
    assert count_on_page(client) == 1

    again = post(confirm_path)
    assert again.status_code == 302
    assert count_on_page(client) == 1
    assert "already confirmed" in client.get(confirm_path).content.decode()

    asked = client.get(withdraw_path)
    assert asked.status_code == 200
    assert "Withdraw my signature" in asked.content.decode()
    assert count_on_page(client) == 1

    withdrawn = post(withdraw_path)
    assert withdrawn.status_code == 200
    assert "Your signature is withdrawn" in withdrawn.content.decode()
    assert count_on_page(client) == 0
    assert client.get(confirmed.url).status_code == 404
    assert post(confirm_path).status_code == 410
    assert count_on_page(client) == 0
    assert tally_differences() == []


def test_the_page_is_the_same_for_a_new_a_pending_and_a_confirmed_address(client, post, statement):
    first = post(SIGN_URL, form_data(statement))
    again = post(SIGN_URL, form_data(statement, email="  Ana.Lopez@EXAMPLE.org", name="Someone Else"))
    signature_confirm(signature_id=Signature.objects.get().pk, statement_id=statement.pk)
    after_confirming = post(SIGN_URL, form_data(statement, email=ANA.upper()))
    stranger = post(SIGN_URL, form_data(statement, email="ben@example.org"))

    assert first.status_code == again.status_code == after_confirming.status_code == stranger.status_code == 200
    assert without_csrf(first.content) == without_csrf(again.content)
    assert without_csrf(first.content) == without_csrf(after_confirming.content)
    assert without_csrf(first.content) == without_csrf(stranger.content)
    assert Signature.objects.count() == 2


def test_with_javascript_the_answer_is_only_the_fragment(post, statement):
    response = post(SIGN_URL, form_data(statement), headers={"X-Requested-With": "fetch"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Check your email" in content
    assert "<html" not in content

    refused = post(SIGN_URL, form_data(statement, email="ana@"), headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400
    assert "<html" not in refused.content.decode()
    assert 'class="form-errors"' in refused.content.decode()


# --- Bad input ----------------------------------------------------------------------------------

BAD_FORMS = {
    "no name": {"name": None},
    "no email": {"email": None},
    "no country": {"country": None},
    "no choice of name shown": {"name_shown": None},
    "no revision": {"revision": None},
    "no start time": {"started": None},
    "empty name": {"name": ""},
    "blank name": {"name": " \t "},
    "10 kB name": {"name": "Ana " * 2560},
    "null character in the name": {"name": "Ana\x00López"},
    "right-to-left override in the name": {"name": "Ana\u202eLópez"},
    "zero-width space in the name": {"name": "Ana\u200bLópez"},
    "bell in the city": {"city": "Lyon\x07"},
    "isolate in the affiliation": {"affiliation": "\u2066University"},
    "long city": {"city": "L" * 101},
    "email without a domain": {"email": "ana@"},
    "email on localhost": {"email": "ana@localhost"},
    "email without an @": {"email": "ana.example.org"},
    "email without a name": {"email": "@example.org"},
    "email with two @": {"email": "ana@bob@example.org"},
    "email of only a tag": {"email": "+news@gmail.com"},
    "unknown country": {"country": "ZZ"},
    "empty country": {"country": ""},
    "markup as country": {"country": "<script>"},
    "markup in the name": {"name": "Ana <b>López</b>"},
    "a name of emoji only": {"name": "🌿 🌿"},
    "a name of punctuation only": {"name": "-- ."},
    "unknown choice of name shown": {"name_shown": "everything"},
    "revision not a number": {"revision": "abc"},
    "revision that does not exist": {"revision": "987654321"},
    "revision beyond any integer column": {"revision": "9" * 30},
    "honeypot filled": {"website": "https://spam.example"},
}


@pytest.mark.parametrize("overrides", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_bad_input_gets_a_message_and_stores_nothing(post, statement, overrides):
    response = post(SIGN_URL, form_data(statement, **overrides))

    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="form-errors" role="alert"' in content
    assert "<script>" not in content
    assert Signature.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_a_revision_of_another_statement_is_refused(post, statement, mobility):
    other = published_statement(mobility, slug="other-statement", translations=())

    response = post(SIGN_URL, form_data(statement, revision=str(revision_id(other))))

    assert response.status_code == 400
    assert "This form belongs to another statement" in response.content.decode()
    assert Signature.objects.count() == 0


def _signed_days_ago(days: int) -> str:
    with time_machine.travel(timezone.now() - timedelta(days=days), tick=False):
        return started()


def _tampered(token: str) -> str:
    return ("A" if token[0] != "A" else "B") + token[1:]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: started(0), id="sent at once"),
        pytest.param(lambda: started(2), id="sent within two seconds"),
        pytest.param(lambda: _signed_days_ago(2), id="form two days old"),
        pytest.param(lambda: signing.dumps(int(time.time()) - 10, salt="another.salt"), id="signed for another use"),
        pytest.param(lambda: _tampered(started()), id="altered"),
        pytest.param(lambda: str(int(time.time()) - 10), id="unsigned time"),
        pytest.param(lambda: signing.dumps("yesterday", salt=STARTED_SALT), id="signed text"),
    ],
)
def test_a_form_sent_too_fast_or_with_a_forged_start_is_refused(post, statement, token):
    # The clock stands still, so a form drawn two seconds ago is still two seconds old when a slow
    # machine gets round to sending it.
    with time_machine.travel(time.time(), tick=False):
        response = post(SIGN_URL, form_data(statement, started=token()))

    assert response.status_code == 400
    content = response.content.decode()
    assert "The form was sent back too quickly" in content or "The form was open for more than an hour" in content
    assert Signature.objects.count() == 0
    # The form comes back with a fresh start time, so a person can send it again.
    assert 'name="started"' in response.content.decode()


def test_a_sign_post_another_site_started_is_forbidden_and_one_from_the_site_is_not(statement):
    # The page carries no CSRF token (shared caches keep it): the browser's headers say who posted.
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(STATEMENT_URL)
    assert not CSRF_TOKEN.search(page.content.decode())
    assert not page.cookies

    for headers in (
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
    ):
        refused = browser.post(SIGN_URL, form_data(statement), headers=headers)
        assert refused.status_code == 403
        assert "Sent from another site" in refused.content.decode()
    assert Signature.objects.count() == 0

    assert browser.post(SIGN_URL, form_data(statement), headers={"sec-fetch-site": "same-origin"}).status_code == 200
    assert Signature.objects.count() == 1


def test_confirming_without_csrf_token_is_forbidden(statement):
    signature = sign_directly(statement)
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(f"/signatures/confirm/{confirm_token(ref_of(signature))}/").status_code == 403
    assert browser.post(f"/signatures/withdraw/{withdraw_token(ref_of(signature))}/").status_code == 403
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING


# --- Links --------------------------------------------------------------------------------------

LINK_PAGES = ["confirm", "thanks", "withdraw"]


def _changed_at(token: str, position: int) -> str:
    character = token[position]
    replacement = "x" if character != "x" else "y"
    return token[:position] + replacement + token[position + 1 :]


@pytest.mark.parametrize("page", LINK_PAGES)
@pytest.mark.parametrize(
    "bad_token",
    [
        pytest.param(lambda token: "forged", id="forged"),
        pytest.param(lambda token: secrets.token_urlsafe(48), id="random"),
        pytest.param(lambda token: _changed_at(token, 0), id="altered first character"),
        pytest.param(lambda token: _changed_at(token, len(token) // 2), id="altered middle character"),
        pytest.param(lambda token: _changed_at(token, -1), id="altered last character"),
        pytest.param(lambda token: token + "A", id="lengthened"),
        pytest.param(lambda token: token.split(":", 1)[1], id="shortened"),
    ],
)
def test_forged_or_altered_links_are_not_found(client, post, statement, page, bad_token):
    signature = sign_directly(statement)
    if page == "thanks":  # the thanks page shows only confirmed signatures
        signature_confirm(signature_id=signature.pk, statement_id=statement.pk)
    make = confirm_token if page == "confirm" else withdraw_token
    path = f"/signatures/{page}/{bad_token(make(ref_of(signature)))}/"

    assert client.get(path).status_code == 404
    if page != "thanks":
        assert post(path).status_code == 404
    signature.refresh_from_db()
    assert signature.status == (Signature.Status.CONFIRMED if page == "thanks" else Signature.Status.PENDING)


def test_a_withdraw_link_does_not_confirm_and_a_confirm_link_does_not_withdraw(client, post, statement):
    signature = sign_directly(statement)
    ref = ref_of(signature)

    assert post(f"/signatures/confirm/{withdraw_token(ref)}/").status_code == 404
    assert post(f"/signatures/withdraw/{confirm_token(ref)}/").status_code == 404
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING


def test_an_expired_confirmation_link_is_gone_but_the_withdraw_link_still_works(client, post, statement):
    signature = sign_directly(statement)
    confirm_path = f"/signatures/confirm/{confirm_token(ref_of(signature))}/"
    withdraw_path = f"/signatures/withdraw/{withdraw_token(ref_of(signature))}/"

    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        opened = client.get(confirm_path)
        assert opened.status_code == 410
        assert "This link has expired" in opened.content.decode()
        assert post(confirm_path).status_code == 410
        assert client.get(withdraw_path).status_code == 200

    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    assert count_on_page(client) == 0


def test_a_link_naming_another_statement_is_not_found(client, post, statement, mobility):
    other = published_statement(mobility, slug="other-statement", translations=())
    signature = sign_directly(statement)
    ref = SignatureRef(signature_id=signature.pk, statement_id=other.pk)

    assert client.get(f"/signatures/confirm/{confirm_token(ref)}/").status_code == 404
    assert post(f"/signatures/confirm/{confirm_token(ref)}/").status_code == 404
    assert post(f"/signatures/withdraw/{withdraw_token(ref)}/").status_code == 404
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING


# --- Rate limits --------------------------------------------------------------------------------


@pytest.fixture
def start_of_an_hour():
    """Rate limits count per window; a test that counts hits starts just after a whole hour, so no
    window (ten minutes, an hour) turns over while it runs."""
    now = time.time()
    with time_machine.travel(now - now % 3600 + 3600 + 5, tick=True):
        yield


@pytest.mark.usefixtures("start_of_an_hour")
def test_too_many_signatures_for_one_address_get_a_429_page(post, statement, rate_limit):
    rate_limit("sign.address.statement", 1)

    assert post(SIGN_URL, form_data(statement)).status_code == 200
    refused = post(SIGN_URL, form_data(statement, email=ANA.upper()))

    assert refused.status_code == 429
    assert "Too many signatures at once" in refused.content.decode()
    assert post(SIGN_URL, form_data(statement, email="ben@example.org")).status_code == 200
    assert Signature.objects.count() == 2
    assert Signature.objects.get(email_hash=email_hash(ANA)).mails_sent == 1


@pytest.mark.usefixtures("start_of_an_hour")
def test_too_many_signatures_from_one_network_get_a_429_page(post, statement, rate_limit):
    rate_limit("sign.network.statement", 2)

    assert post(SIGN_URL, form_data(statement, email="a@example.org")).status_code == 200
    assert post(SIGN_URL, form_data(statement, email="b@example.org")).status_code == 200
    assert post(SIGN_URL, form_data(statement, email="c@example.org")).status_code == 429
    # Another network is not held back by this one.
    other_network = post(SIGN_URL, form_data(statement, email="d@example.org"), REMOTE_ADDR="198.51.100.7")
    assert other_network.status_code == 200
    assert Signature.objects.count() == 3


@pytest.mark.usefixtures("start_of_an_hour")
def test_the_429_page_is_in_the_interface_language(post, statement, rate_limit):
    rate_limit("sign.address.statement", 1)
    post(SIGN_URL, form_data(statement))

    refused = post(SIGN_URL, form_data(statement), headers={"accept-language": "fr"})

    content = refused.content.decode()
    assert refused.status_code == 429
    assert '<html lang="fr"' in content
    assert "Trop de signatures en même temps" in content
    assert "Too many signatures at once" not in content


# --- Whatever is posted -------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.one_of(st.just("Ana María López"), ANY_TEXT, st.text(min_size=190, max_size=260)),
    email=st.one_of(st.emails(), st.sampled_from([ANA, "Ana.Lopez+x@Example.org", "ana@", "x@y"]), ANY_TEXT),
    country=st.one_of(st.sampled_from(["FR", "DE", "KE", "BR", "fr", "ZZ", ""]), ANY_TEXT),
    city=ANY_TEXT,
    affiliation=ANY_TEXT,
    name_shown=st.one_of(st.sampled_from(["full", "initial", "hidden"]), ANY_TEXT),
    wants_updates=st.one_of(st.sampled_from(["on", "true", "false", "0", ""]), ANY_TEXT),
    revision=st.one_of(st.just("valid"), st.integers().map(str), ANY_TEXT),
    altcha=st.one_of(st.just(""), ANY_TEXT),
    confirm_afterwards=st.booleans(),
)
def test_whatever_is_posted_there_is_no_server_error_and_the_tally_matches_the_rows(
    client,
    statement,
    rate_limit,
    django_capture_on_commit_callbacks,
    name,
    email,
    country,
    city,
    affiliation,
    name_shown,
    wants_updates,
    revision,
    altcha,
    confirm_afterwards,
):
    for rule in ("sign.network.statement", "sign.network", "sign.address.statement"):
        rate_limit(rule, 10**6)
    cache.clear()
    data = {
        "name": name,
        "email": email,
        "country": country,
        "city": city,
        "affiliation": affiliation,
        "name_shown": name_shown,
        "wants_updates": wants_updates,
        "revision": str(revision_id(statement)) if revision == "valid" else revision,
        "started": started(),
        "website": "",
        "altcha": altcha,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGN_URL, data)
        if confirm_afterwards:
            for pending in Signature.objects.filter(status=Signature.Status.PENDING):
                signature_confirm(signature_id=pending.pk, statement_id=pending.statement_id)

    event(f"status {response.status_code}")
    assert response.status_code in {200, 400, 410, 429}
    assert tally_differences() == []
    if response.status_code == 400:
        assert 'class="form-errors"' in response.content.decode()


# --- The public list ----------------------------------------------------------------------------


def test_the_public_list_shows_only_what_signers_allowed(client, statement):
    shown = [
        ("ana.maria@example.org", "Ana María López", "full"),
        ("bokafor@example.org", "Ben Okafor", "initial"),
        ("cleo.h@example.org", "Cleo Hidden", "hidden"),
    ]
    for email, name, name_shown in shown:
        signature = sign_directly(statement, email=email, name=name, name_shown=name_shown, city="Secretville")
        signature_confirm(signature_id=signature.pk, statement_id=statement.pk)
    sign_directly(statement, email="dan@example.org", name="Dan Pending")

    response = client.get(LIST_URL)
    content = response.content.decode()

    assert response.status_code == 200
    assert "Ana María López" in content
    assert "Ben O." in content
    assert "Okafor" not in content
    assert "Cleo" not in content
    assert "Dan Pending" not in content
    assert "Secretville" not in content
    for email, _, _ in shown:
        assert email not in content
        assert email.split("@")[0] not in content
    assert "3 confirmed signatures." in content
    assert content.index("Ben O.") < content.index("Ana María López")  # newest first


def _name_of(number: int) -> str:  # names differ in letters: the same name many times is a fraud signal
    return "Signer " + "".join(chr(ord("a") + int(digit)) for digit in str(number)).capitalize()


def _confirmed_signers(statement: Statement, count: int, *, hidden: tuple[int, ...] = ()) -> list[str]:
    """``count`` confirmed signers, several in each instant (ties on confirmed_at), newest last."""
    names = []
    start = timezone.now() - timedelta(hours=1)
    for number in range(count):
        with time_machine.travel(start + timedelta(seconds=number // 3), tick=False):
            shown = "hidden" if number in hidden else "full"
            signature = sign_directly(
                statement, email=f"signer{number}@example.org", name=_name_of(number), name_shown=shown
            )
            signature_confirm(signature_id=signature.pk, statement_id=statement.pk)
        if number not in hidden:
            names.append(_name_of(number))
    return names


def _names_and_links(response) -> tuple[list[str], dict[str, str]]:
    content = response.content.decode()
    names = re.findall(r'class="signer-list__name" dir="auto">([^<]*)<', content)
    links = {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(r'href="(\?(?:newer|older)=[^"]+)" rel="(prev|next)"', content)
    }
    return names, links


def test_the_public_list_pages_by_fifty_newest_first_with_the_tally(client, statement):
    names = _confirmed_signers(statement, 53)

    first = client.get(LIST_URL)
    shown, links = _names_and_links(first)
    older = client.get(LIST_URL + links["next"])

    assert shown == names[::-1][:50]
    assert set(links) == {"next"}  # no "Newer" on the first page
    assert "53 confirmed signatures." in first.content.decode()
    assert _names_and_links(older)[0] == names[::-1][50:]
    assert set(_names_and_links(older)[1]) == {"prev"}


def test_paging_older_then_newer_visits_every_listed_signer_once(client, statement, monkeypatch):
    from undersigned.signatures import views

    monkeypatch.setattr(views, "SIGNER_LIST_PAGE", 4)
    names = _confirmed_signers(statement, 23, hidden=(2, 9, 10))
    newest_first = names[::-1]

    pages, response = [], client.get(LIST_URL)
    while True:
        shown, links = _names_and_links(response)
        pages.append(shown)
        if "next" not in links:
            break
        response = client.get(LIST_URL + links["next"])
    assert [name for page in pages for name in page] == newest_first
    assert all(len(page) == 4 for page in pages[:-1])

    back = []
    while "prev" in links:
        response = client.get(LIST_URL + links["prev"])
        shown, links = _names_and_links(response)
        back.append(shown)
    assert back == pages[-2::-1]  # the same pages, newest at the end
    assert "23 confirmed signatures." in response.content.decode()  # hidden names are counted too


def test_a_page_costs_the_same_few_queries_wherever_it_is(
    client, statement, monkeypatch, django_assert_max_num_queries
):
    from undersigned.signatures import views

    monkeypatch.setattr(views, "SIGNER_LIST_PAGE", 3)
    _confirmed_signers(statement, 12)
    cache.clear()
    response = client.get(LIST_URL)
    for _ in range(3):
        with django_assert_max_num_queries(4):  # statement, texts, tally, one page of rows
            response = client.get(LIST_URL + _names_and_links(response)[1]["next"])
        cache.clear()
    with django_assert_max_num_queries(5):  # newer, at the top: the first page read again
        client.get(LIST_URL + _names_and_links(response)[1]["prev"])


def test_the_total_is_the_tally_not_a_count_of_rows(client, statement):
    from undersigned.signatures.models import TallyShard

    _confirmed_signers(statement, 2)
    TallyShard.objects.filter(statement=statement).delete()  # the counters say 777, whatever the rows
    TallyShard.objects.create(statement=statement, country="FR", shard=0, confirmed=777)
    cache.clear()

    content = client.get(LIST_URL).content.decode()

    assert "777 confirmed signatures." in content


@pytest.mark.parametrize(
    "query",
    [
        {"older": "banana"},
        {"newer": "banana"},
        {"older": signing.dumps(["2026-01-01T00:00:00+00:00", 1], salt="undersigned.api.cursor.signer-list.999999")},
        {"older": signing.dumps(["not a date", 1], salt="undersigned.api.cursor.signer-list.%d")},
        {"newer": "x" * 2000},
        {"page": "999"},
    ],
)
def test_a_bad_or_foreign_cursor_gets_a_message_and_the_first_page(client, statement, query):
    names = _confirmed_signers(statement, 2)
    if "%d" in str(query.get("older", "")):
        query = {"older": signing.dumps(["not a date", 1], salt=f"undersigned.api.cursor.signer-list.{statement.pk}")}

    response = client.get(LIST_URL, query)

    assert _names_and_links(response)[0] == names[::-1]
    if "page" in query:  # an old page-number link: simply the first page
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "This page link is not valid" in response.content.decode()


def test_the_public_list_of_an_unknown_statement_is_not_found(client, site):
    assert client.get("/statements/no-such-statement/signatures/").status_code == 404


@pytest.mark.django_db
def test_the_language_switcher_does_not_repeat_a_signers_personal_link(client, site):
    from undersigned.signatures.tokens import SignatureRef, withdraw_token

    token = withdraw_token(SignatureRef(signature_id=1, statement_id=1))
    content = client.get(f"/signatures/withdraw/{token}/").content.decode()
    assert token not in content.split("<main", 1)[0]


def test_the_sign_form_s_help_is_where_its_fields_say(client, statement):
    from undersigned.core.tests.test_field_descriptions import missing_descriptions

    page = client.get(STATEMENT_URL).content.decode()
    assert missing_descriptions(page) == []
    answer = client.post(SIGN_URL, form_data(statement, email="not an address"))
    assert answer.status_code == 400
    assert missing_descriptions(answer.content.decode()) == []


def test_a_form_sent_back_keeps_the_proof_of_work_it_did_not_spend(post, statement, rate_limit):
    answer = "c29sdmVkIGJ5IHRoZSBicm93c2Vy"
    too_fast = post(SIGN_URL, form_data(statement, started=started(seconds_ago=0), altcha=answer)).content.decode()
    assert f'<input type="hidden" name="altcha" value="{answer}">' in too_fast
    assert "<altcha-widget" not in too_fast
    mistyped = post(SIGN_URL, form_data(statement, email="ana@", altcha=answer)).content.decode()
    assert f'name="altcha" value="{answer}"' in mistyped
    # Refused after the answer was checked (it is spent): the widget solves a new one.
    rate_limit("sign.network", 0)
    limited = post(SIGN_URL, form_data(statement, altcha=answer)).content.decode()
    assert answer not in limited
