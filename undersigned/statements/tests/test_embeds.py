"""The count badge and the embedded sign form, through their addresses: what member sites show."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.core import signing
from django.test import Client

from undersigned.federation.models import Federation
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.notifications.models import OutgoingMail
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SignerInput, signature_confirm, signature_record
from undersigned.statements.models import Revision, Statement
from undersigned.statements.services import statement_close, statement_import
from undersigned.statements.tests.builders import published_statement
from undersigned.statements.tests.conftest import PRESS_RELEASE

pytestmark = pytest.mark.django_db

SLUG = "library-opening-hours"
EMBED_URL = f"/statements/{SLUG}/en/embed/"
STARTED_SALT = "undersigned.signatures.form-started"


@pytest.fixture
def statement(libraries) -> Statement:
    return published_statement(libraries, translations=("fr", "ar"))


def started(seconds_ago: int = 10) -> str:
    return signing.dumps(int(time.time()) - seconds_ago, salt=STARTED_SALT)


def revision_of(statement: Statement, language: str = "en") -> Revision:
    revision = statement.texts.get(language=language).published_revision
    assert revision is not None
    return revision


def form_data(statement: Statement, **overrides: str) -> dict[str, str]:
    return {
        "name": "Ana María López",
        "email": "ana@example.org",
        "country": "FR",
        "city": "",
        "affiliation": "",
        "name_shown": "full",
        "revision": str(revision_of(statement).pk),
        "started": started(),
        "website": "",
        **overrides,
    }


def confirmed_signatures(statement: Statement, count: int) -> None:
    for number in range(count):
        email = f"signer{number}@example.org"
        signature_record(
            statement=statement,
            revision=revision_of(statement),
            signer=SignerInput(name=f"Signer {number}", email=email, country="FR"),
            network_hash=f"network-{number}",
            language="en",
            proof_of_work=False,
        )
        signature = Signature.objects.get(statement=statement, status=Signature.Status.PENDING)
        signature_confirm(signature_id=signature.pk, statement_id=statement.pk)


def count_on_statement_page(client: Client) -> str:
    match = re.search(
        r'<span class="tally__number">([^<]+)</span>', client.get(f"/statements/{SLUG}/").content.decode()
    )
    assert match
    return match.group(1)


# --- The badge ---------------------------------------------------------------------------------


def test_the_badge_shows_the_title_and_the_count_of_the_statement_page(client, statement):
    confirmed_signatures(statement, 2)
    response = client.get(f"/statements/{SLUG}/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert "Statement on Library Opening Hours" in svg
    assert count_on_statement_page(client) == "2"
    assert 'font-weight="800" fill="#0b5cad">2</tspan> confirmed signatures' in svg
    assert "<script" not in svg


def test_the_badge_is_safe_to_show_anywhere_and_cached_for_a_few_seconds(client, statement):
    response = client.get(f"/statements/{SLUG}/badge.svg")
    assert response["Cache-Control"] == "public, max-age=10"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Set-Cookie" not in response
    assert "Vary" not in response  # one copy for every reader, whatever their language
    etag = response["ETag"]
    again = client.get(f"/statements/{SLUG}/badge.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    confirmed_signatures(statement, 1)
    # The count is cached for a few seconds as the statement page's is; after that the ETag changes.
    with time_machine.travel(time.time() + 60):
        changed = client.get(f"/statements/{SLUG}/badge.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_head_answers_as_get_does_without_a_body(client, statement):
    got = client.get(f"/statements/{SLUG}/badge.svg")
    head = client.head(f"/statements/{SLUG}/badge.svg")
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == got["ETag"]
    assert client.post(f"/statements/{SLUG}/badge.svg").status_code == 405


def test_a_title_with_markup_is_escaped_in_the_badge_and_the_fragment(client, statement):
    Revision.objects.filter(pk=revision_of(statement).pk).update(title='<script>alert(1)</script> & "quotes"')
    svg = client.get(f"/statements/{SLUG}/badge.svg").content.decode()
    fragment = client.get(f"/statements/{SLUG}/badge.html").content.decode()
    for body in (svg, fragment):
        assert "<script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in body


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis(client, statement):
    long_title = "A statement on the opening hours of every public library in every town " * 3
    Revision.objects.filter(pk=revision_of(statement).pk).update(title=long_title)
    svg = client.get(f"/statements/{SLUG}/badge.svg").content.decode()
    shown = re.search(r'font-weight="600" fill="#1b1f24">([^<]+)</text>', svg).group(1)
    assert shown.endswith("…")
    assert len(shown) <= 44
    assert long_title.strip() in svg  # whole, in the image's accessible title


@pytest.mark.parametrize(
    ("language", "title", "label", "direction"),
    [
        ("en", "Statement on Library Opening Hours", "confirmed signatures", "ltr"),
        ("fr", "Déclaration sur les horaires des bibliothèques", "signatures confirmées", "ltr"),
        ("ar", "بيان بشأن ساعات عمل المكتبات العامة", "توقيعات مؤكَّدة", "rtl"),
    ],
)
def test_the_badge_speaks_each_language_of_the_statement(
    client, settings, statement, language, title, label, direction
):
    confirmed_signatures(statement, 3)
    svg = client.get(f"/statements/{SLUG}/{language}/badge.svg")
    assert svg.status_code == 200
    assert svg["Content-Language"] == language
    content = svg.content.decode()
    assert title in content
    assert f'direction="{direction}"' in content
    assert label in content
    fragment = client.get(f"/statements/{SLUG}/{language}/badge.html")
    assert fragment["Access-Control-Allow-Origin"] == "*"
    assert f'lang="{language}" dir="{direction}"' in fragment.content.decode()
    assert f"{settings.SITE_URL}/statements/{SLUG}/{language}/" in fragment.content.decode()


def test_the_count_is_grouped_as_each_language_writes_numbers(client, statement):
    from undersigned.signatures.models import TallyShard

    TallyShard.objects.create(statement=statement, country="FR", shard=0, confirmed=12345)
    assert ">12,345</tspan>" in client.get(f"/statements/{SLUG}/en/badge.svg").content.decode()
    assert ">12\u00a0345</tspan>" in client.get(f"/statements/{SLUG}/fr/badge.svg").content.decode()
    assert "12345" in client.get(f"/statements/{SLUG}/badge.html").content.decode().replace(",", "")


@pytest.mark.parametrize(
    "path",
    [
        "/statements/no-such-statement/badge.svg",
        f"/statements/{SLUG}/de/badge.svg",
        f"/statements/{SLUG}/de/badge.html",
        "/statements/no-such-statement/embed/",
        f"/statements/{SLUG}/de/embed/",
    ],
)
def test_unknown_statements_and_languages_are_not_found(client, statement, path):
    assert client.get(path).status_code == 404


def test_a_draft_is_not_shown(client, libraries):
    statement_import(actor=None, commission=libraries, slug="a-draft", language="en", source=PRESS_RELEASE)
    for path in ("badge.svg", "en/badge.svg", "badge.html", "embed/", "en/embed/"):
        assert client.get(f"/statements/a-draft/{path}").status_code == 404


# --- The embed ---------------------------------------------------------------------------------


def test_the_embed_shows_the_statement_the_count_and_the_sign_form(client, statement):
    confirmed_signatures(statement, 1)
    response = client.get(EMBED_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Statement on Library Opening Hours" in content
    assert "Open libraries when people can use them!" in content
    assert '<span class="tally__number">1</span>' in content
    assert f'action="{EMBED_URL}"' in content
    assert 'name="csrfmiddlewaretoken"' not in content
    for link in (f"/statements/{SLUG}/en/", "/your-data/", "/feeds/public-libraries/en.atom"):
        assert f'href="{link}" target="_blank" rel="noopener"' in content


def test_the_embed_without_a_language_takes_the_readers(client, statement):
    content = client.get(f"/statements/{SLUG}/embed/", headers={"accept-language": "fr"}).content.decode()
    assert "Déclaration sur les horaires des bibliothèques" in content
    assert f'action="/statements/{SLUG}/fr/embed/"' in content


def test_the_arabic_embed_is_right_to_left(client, statement):
    response = client.get(f"/statements/{SLUG}/ar/embed/", headers={"accept-language": "fr"})
    assert response["Content-Language"] == "ar"
    content = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in content
    assert "بيان بشأن ساعات عمل المكتبات العامة" in content


def test_the_embed_reads_and_sets_no_session_nor_any_cookie(client, statement):
    got = client.get(EMBED_URL)
    posted = client.post(EMBED_URL, form_data(statement))
    for response in (got, posted):
        assert not response.cookies
        assert response.wsgi_request.session.accessed is False


@pytest.mark.django_db(transaction=True)  # the worker that delivers the mail works on committed rows
def test_signing_in_the_embed_mails_the_link_and_counts_nothing_yet(statement, smtp_server, run_tasks):
    # A browser in a frame on another site sends no cookie, so no CSRF token either.
    framed = Client(enforce_csrf_checks=True)
    response = framed.post(EMBED_URL, form_data(statement))
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "ana@example.org"
    assert any("/signatures/confirm/" in link for link in smtp_server.links_in(smtp_server.messages[0]))
    assert '<span class="tally__number">0</span>' in framed.get(EMBED_URL).content.decode()


def test_the_mail_of_an_arabic_embed_is_in_arabic(client, statement, django_capture_on_commit_callbacks):
    data = form_data(statement, revision=str(revision_of(statement, "ar").pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/statements/{SLUG}/ar/embed/", data)
    assert response.status_code == 200
    assert Signature.objects.get().language == "ar"


@pytest.mark.parametrize(
    "overrides",
    [{"email": "ana@"}, {"name": ""}, {"country": "XX"}, {"revision": "nonsense"}],
    ids=["bad email", "no name", "unknown country", "bad revision"],
)
def test_bad_input_shows_the_form_again_with_messages_and_stores_nothing(client, statement, overrides):
    response = client.post(EMBED_URL, form_data(statement, **overrides))
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="field__error"' in content or 'class="form-errors"' in content
    assert f'action="{EMBED_URL}"' in content
    assert "Ana María López" in content or overrides == {"name": ""}
    assert not Signature.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_a_form_sent_too_fast_is_refused_and_drawn_again(client, statement):
    with time_machine.travel(time.time(), tick=False):
        response = client.post(EMBED_URL, form_data(statement, started=started(0)))
    assert response.status_code == 400
    content = response.content.decode()
    assert 'name="started"' in content
    assert "Ana María López" in content
    assert not Signature.objects.exists()


def test_with_its_script_the_embed_answers_with_the_fragment_only(client, statement):
    response = client.post(EMBED_URL, form_data(statement), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Check your email" in content
    assert "<html" not in content


def test_a_closed_statement_embeds_without_a_form(client, statement):
    statement_close(actor=None, statement=statement)
    content = client.get(EMBED_URL).content.decode()
    assert "This statement does not take signatures now" in content
    assert "<form" not in content
    assert client.post(EMBED_URL, form_data(statement)).status_code == 410


# --- Framing ------------------------------------------------------------------------------------


def test_any_site_may_frame_the_embed_when_no_list_is_set(client, statement):
    response = client.get(EMBED_URL)
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https: http:" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_only_the_listed_member_sites_may_frame_the_embed(client, statement, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        federation_update(
            actor=None,
            default_language="en",
            offered_languages=["en", "es", "fr", "ar"],
            contact_email="secretariat@example.org",
            texts={"en": LocalisedText(name="Example Federation", description="")},
            embed_origins=["https://member.example.org", "http://127.0.0.1:8081"],
        )
    for path in (EMBED_URL, f"/statements/{SLUG}/embed/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "frame-ancestors 'self' https://member.example.org http://127.0.0.1:8081;" in policy + ";"


def test_every_other_page_stays_unframeable(client, statement):
    sample = [
        "/",
        "/statements/",
        f"/statements/{SLUG}/",
        f"/statements/{SLUG}/fr/",
        f"/statements/{SLUG}/signatures/",
        f"/statements/{SLUG}/badge.html",
        "/your-data/",
        "/accounts/sign-in/",
        "/no-such-page/",
    ]
    for path in sample:
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
    signed = client.post(f"/statements/{SLUG}/sign/", form_data(statement))
    assert signed["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in client.get(f"/statements/{SLUG}/badge.svg")["Content-Security-Policy"]
    assert Federation.objects.get().embed_origins == []


# --- The snippets on the statement's staff page ------------------------------------------------


def test_the_staff_page_offers_the_snippets_of_each_language_with_absolute_addresses(client, settings, statement):
    from undersigned.testing import secretariat, staff_login

    staff_login(client, secretariat())
    content = client.get(f"/staff/statements/{SLUG}/").content.decode()
    site = settings.SITE_URL
    for language in ("en", "fr", "ar"):
        assert f"&lt;iframe src=&quot;{site}/statements/{SLUG}/{language}/embed/&quot;" in content
        assert f"src=&quot;{site}/statements/{SLUG}/{language}/badge.svg&quot;" in content
        assert f"{site}/statements/{SLUG}/{language}/badge.html" in content
    assert "&lt;a class=&quot;undersigned-badge&quot;" in content


def test_a_title_with_markup_stays_text_in_the_snippets(client, statement):
    from undersigned.testing import secretariat, staff_login

    Revision.objects.filter(pk=revision_of(statement).pk).update(title="</textarea><script>x()</script> & co")
    staff_login(client, secretariat())
    content = client.get(f"/staff/statements/{SLUG}/").content.decode()
    assert "<script>x()" not in content
    # Escaped once for the code (a title attribute), once more for the page that shows the code.
    assert (
        "title=&quot;&amp;lt;/textarea&amp;gt;&amp;lt;script&amp;gt;x()&amp;lt;/script&amp;gt; &amp;amp; co&quot;"
        in content
    )


def test_a_draft_offers_no_snippets_yet(client, libraries):
    from undersigned.testing import secretariat, staff_login

    statement_import(actor=None, commission=libraries, slug="a-draft", language="en", source=PRESS_RELEASE)
    staff_login(client, secretariat())
    content = client.get("/staff/statements/a-draft/").content.decode()
    assert "Once the statement is published" in content
    assert "embed/" not in content
