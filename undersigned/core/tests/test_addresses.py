"""One mailbox, however its address is spelled: how addresses are normalised, and which are refused."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from undersigned.core.addresses import InvalidAddressError, normalise_email

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
