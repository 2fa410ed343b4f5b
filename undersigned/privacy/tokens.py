"""The emailed link to a person's own data ("your data" link).

It names the person by the two keyed hashes their records are found by (a signer's, global across
statements, and an organisation contact's), never by the address itself, and expires after
``LINK_HOURS``. Once the records are erased their hashes are gone, so the same link finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import ngettext

from undersigned.core.links import LinkKind, make_link
from undersigned.organisations.services.names import contact_email_hash
from undersigned.signatures.addresses import email_hash

LINK_HOURS = 24
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PersonRef:
    """Whose records a link opens: the keyed hashes of one address."""

    signer_hash: str
    contact_hash: str

    @classmethod
    def of_address(cls, email: str) -> PersonRef:
        """Raises ``InvalidAddressError`` for an address that cannot be normalised."""
        return cls(signer_hash=email_hash(email), contact_hash=contact_email_hash(email))


def _person(value: Any) -> PersonRef:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(item, str) and _HASH.fullmatch(item) for item in value)
    ):
        raise ValueError("not a data link")
    return PersonRef(signer_hash=value[0], contact_hash=value[1])


def _hint() -> str:
    return ngettext(
        "Links to your data work for %(hours)s hour.", "Links to your data work for %(hours)s hours.", LINK_HOURS
    ) % {"hours": LINK_HOURS}


DATA_LINK = LinkKind(
    salt="undersigned.privacy.your-data",
    max_age=timedelta(hours=LINK_HOURS),
    to_value=lambda ref: [ref.signer_hash, ref.contact_hash],
    from_value=_person,
    hint=lazy(_hint, str)(),
    broken_hint=lazy(_hint, str)(),
    renew_url_name="privacy:request",
)


def data_link_token(ref: PersonRef) -> str:
    return make_link(DATA_LINK, ref)
