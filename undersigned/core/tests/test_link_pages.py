"""Every personal link is read one way: a forged, an expired and a used link get the same page
whatever the kind of link, private and with the status the error carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from undersigned.actions.tokens import ActionRef, confirm_action_token, withdraw_action_token
from undersigned.organisations.tests.conftest import member_organisation
from undersigned.organisations.tokens import SignOnRef, sign_in_token
from undersigned.organisations.tokens import confirm_token as sign_on_confirm_token
from undersigned.organisations.tokens import withdraw_token as sign_on_withdraw_token
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.tokens import SignatureRef, confirm_token, withdraw_token

pytestmark = pytest.mark.django_db

# Each kind of link: its address, a token of it, and whether it expires.
LINKS: dict[str, tuple[str, Callable[[], str], bool]] = {
    "signature confirmation": ("/signatures/confirm/{}/", lambda: confirm_token(SignatureRef(1, 1)), True),
    "thank-you page": ("/signatures/thanks/{}/", lambda: withdraw_token(SignatureRef(1, 1)), False),
    "signature withdrawal": ("/signatures/withdraw/{}/", lambda: withdraw_token(SignatureRef(1, 1)), False),
    "sign-on confirmation": ("/sign-ons/confirm/{}/", lambda: sign_on_confirm_token(SignOnRef(1, 1)), True),
    "sign-on withdrawal": ("/sign-ons/withdraw/{}/", lambda: sign_on_withdraw_token(SignOnRef(1, 1)), False),
    "action report confirmation": ("/actions/confirm/{}/", lambda: confirm_action_token(ActionRef(1, 1)), True),
    "action withdrawal": ("/actions/withdraw/{}/", lambda: withdraw_action_token(ActionRef(1, 1)), False),
    "member sign-in": ("/organisations/members/sign-in/{}/", lambda: sign_in_token("ana@example.org"), True),
    "your data": ("/your-data/{}/", lambda: data_link_token(PersonRef("a" * 64, "b" * 64)), True),
    "your data, download": ("/your-data/{}/my-data.json", lambda: data_link_token(PersonRef("a" * 64, "b" * 64)), True),
}


def assert_private(response) -> None:
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("kind", LINKS)
def test_a_forged_link_of_any_kind_gets_the_same_404_page(client, libraries, kind):
    address, make, _expires = LINKS[kind]
    forged = make()[:-4] + "abcd"
    response = client.get(address.format(forged))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert_private(response)


def test_a_link_of_one_kind_opens_no_page_of_another(client, libraries):
    # Each kind signs with a salt of its own, even where two carry the same ids.
    signature_link = confirm_token(SignatureRef(1, 1))
    assert client.get(f"/sign-ons/confirm/{signature_link}/").status_code == 404
    assert client.get(f"/signatures/withdraw/{signature_link}/").status_code == 404
    assert client.get(f"/your-data/{sign_in_token('ana@example.org')}/").status_code == 404


@pytest.mark.parametrize("kind", [kind for kind, (_, _, expires) in LINKS.items() if expires])
def test_an_expired_link_of_any_kind_gets_the_same_410_page(client, libraries, kind, time_machine):
    address, make, _expires = LINKS[kind]
    token = make()
    time_machine.move_to(timezone.now() + timedelta(days=8))
    response = client.get(address.format(token))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert_private(response)


def test_a_used_sign_in_link_stays_used_while_the_cache_is_down(client, libraries):
    member_organisation()
    link = f"/organisations/members/sign-in/{sign_in_token('ana@reading-room.example')}/"
    assert client.post(link).status_code == 302
    client.post("/organisations/members/sign-out/")
    # Redis configured but unreachable: the mark of use is in the database, so it still holds.
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0", CACHES=caches):
        cache.close()
        used = client.post(link)
    assert used.status_code == 410
    assert "This link was already used" in used.content.decode()
    assert_private(used)


def _cut(address: str, token: str, how: str) -> str:
    prefix = address.split("{}")[0]
    return {
        "cut after the prefix": prefix,
        "cut in the middle": address.format(token[: len(token) // 2]),
        "split over two lines, joined with a slash": prefix + token[:12] + "/" + token[12:] + "/",
    }[how]


@pytest.mark.parametrize(
    "how", ["cut after the prefix", "cut in the middle", "split over two lines, joined with a slash"]
)
@pytest.mark.parametrize("name", [name for name in LINKS if not LINKS[name][0].endswith(".json")])
def test_a_link_cut_or_split_by_a_mail_program_says_so_and_what_to_do(client, site, name, how):
    address, token, _expires = LINKS[name]
    response = client.get(_cut(address, token(), how), follow=True)
    if how == "cut after the prefix" and name in {"member sign-in", "your data"}:
        # What is left is the page that mails a new link: the right place to land.
        assert response.status_code == 200 and 'type="email"' in response.content.decode()
        return
    assert response.status_code == 404
    page = response.content.decode()
    assert "This link does not work" in page
    assert "Some mail programs cut long links" in page
    assert_private(response)


def test_a_link_whose_last_slash_was_cut_still_opens(client, site):
    token = data_link_token(PersonRef("a" * 64, "b" * 64))
    response = client.get(f"/your-data/{token}")
    assert response.status_code == 301 and response["Location"] == f"/your-data/{token}/"
