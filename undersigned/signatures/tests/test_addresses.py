"""One mailbox, one signature: how addresses are normalised and hashed."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from undersigned.signatures.addresses import InvalidAddressError, email_hash, normalise_email

# Text biased towards the characters that matter to an address, mixed with any other character.
ADDRESS_LIKE_TEXT = st.text(alphabet=st.one_of(st.sampled_from("@.+-_ aAzZ09"), st.characters()), max_size=40)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  ana@example.org\n", "ana@example.org"),
        ("Ana.Lopez@Example.ORG", "ana.lopez@example.org"),
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
        ("ana@BÜCHER.example", "ana@xn--bcher-kva.example"),
        ("ana@example.org.", "ana@example.org"),
        ("Ana.Maria.Lopez@gmail.com", "anamarialopez@gmail.com"),
        ("anamarialopez+petitions@gmail.com", "anamarialopez@gmail.com"),
        ("ana.maria+a.b+c@gmail.com", "anamaria@gmail.com"),
        ("AnaMaria@googlemail.com", "anamaria@gmail.com"),
        ("ana.maria+news@outlook.com", "ana.maria@outlook.com"),
        ("ana+news@hotmail.com", "ana@hotmail.com"),
        ("ana+news@icloud.com", "ana@icloud.com"),
        ("ana+news@proton.me", "ana@proton.me"),
        ("ana+news@fastmail.com", "ana@fastmail.com"),
        ("ana.maria@example.org", "ana.maria@example.org"),
        ("ana+news@example.org", "ana+news@example.org"),
    ],
)
def test_addresses_are_normalised(raw, normalised):
    assert normalise_email(raw) == normalised


def test_dots_are_kept_for_providers_that_deliver_them_apart():
    assert normalise_email("a.na@outlook.com") != normalise_email("ana@outlook.com")
    assert normalise_email("a.na@example.org") != normalise_email("ana@example.org")


@pytest.mark.parametrize(
    "spelling",
    [
        "Ana.Maria@gmail.com",
        " anamaria@GMAIL.com ",
        "ana.maria+petition@googlemail.com",
        "A.N.A.M.A.R.I.A@GoogleMail.Com",
    ],
)
def test_equivalent_spellings_have_the_same_hash(spelling):
    assert email_hash(spelling) == email_hash("anamaria@gmail.com")


def test_the_hash_is_a_keyed_hex_digest_not_the_address():
    hashed = email_hash("ana@example.org")
    assert len(hashed) == 64
    assert int(hashed, 16) >= 0
    assert "ana" not in hashed


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ana@example.org", "ana@example.com"),
        ("ana@example.org", "ann@example.org"),
        ("a.na@outlook.com", "ana@outlook.com"),
        ("ana+x@example.org", "ana@example.org"),
        ("ana@gmail.com", "ana@outlook.com"),
    ],
)
def test_different_mailboxes_have_different_hashes(one, other):
    assert email_hash(one) != email_hash(other)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ana",
        "ana.example.org",
        "ana@",
        "ana@   ",
        "ana@localhost",
        "ana@.",
        "ana@.org",
        "@example.org",
        "  @example.org",
        "+news@gmail.com",
        "...@gmail.com",
        "+news@outlook.com",
        "ana@exa..mple.org",
        "ana@" + "x" * 64 + ".org",
    ],
)
def test_incomplete_addresses_are_refused(raw):
    with pytest.raises(InvalidAddressError):
        normalise_email(raw)
    with pytest.raises(InvalidAddressError):
        email_hash(raw)


@given(raw=ADDRESS_LIKE_TEXT)
def test_any_text_is_normalised_or_refused_and_never_crashes(raw):
    try:
        normalised = normalise_email(raw)
    except InvalidAddressError:
        return
    local, _, domain = normalised.rpartition("@")
    assert local
    assert "." in domain


@given(raw=ADDRESS_LIKE_TEXT)
@example(raw="ana@bob@example.org")
def test_any_text_gives_an_address_with_exactly_one_at_or_is_refused(raw):
    try:
        normalised = normalise_email(raw)
    except InvalidAddressError:
        return
    assert normalised.count("@") == 1
