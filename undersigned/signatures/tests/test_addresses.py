"""One mailbox, one signature: the keyed hash of an address, the same for every spelling of one
mailbox (normalising itself is tested in ``core/tests/test_addresses.py``)."""

from __future__ import annotations

import pytest

from undersigned.core.addresses import InvalidAddressError
from undersigned.signatures.addresses import email_hash


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


@pytest.mark.parametrize("raw", ["", "ana", "ana@localhost", "@example.org", "+news@gmail.com"])
def test_an_incomplete_address_has_no_hash(raw):
    with pytest.raises(InvalidAddressError):
        email_hash(raw)
