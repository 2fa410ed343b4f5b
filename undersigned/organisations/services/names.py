"""Names, websites and addresses, as the directory and the sign-ons compare and show them."""

from __future__ import annotations

import contextlib
import unicodedata
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from undersigned.core.addresses import normalise_email
from undersigned.core.crypto import keyed_hash, older_keyed_hashes
from undersigned.core.exceptions import DomainError
from undersigned.core.plain_text import has_control_characters, name_refusal, squeezed


def normalise_organisation_name(name: str) -> str:
    """The name as compared for duplicates: compatibility-folded, case-folded, letters and digits
    only, single spaces. "Friends of the Library, e.V." and "friends of the library ev" match."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(
        character if unicodedata.category(character)[0] in "LNM" else " "
        for character in unicodedata.normalize("NFKD", folded)
        if unicodedata.category(character) != "Mn"
    )
    return " ".join(kept.split())[:200]


def website_domain(url: str) -> str:
    """The host of a website address, lower-case, in ASCII, without a leading ``www.``."""
    if not url:
        return ""
    host = (urlsplit(url).hostname or "").strip(".").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def contact_email_hash(email: str) -> str:
    """The keyed hash that recognises a contact's address, however it is spelt."""
    return keyed_hash("contact-email", normalise_email(email))


def older_contact_email_hashes(email: str) -> list[str]:
    return older_keyed_hashes("contact-email", normalise_email(email))


def email_domain(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def check_plain(value: str, label: str) -> str:
    """Names are shown on public pages: single spaces, no markup, no invisible characters."""
    value = squeezed(value)
    if "<" in value or ">" in value:
        raise DomainError("markup", _("%(field)s cannot contain < or >.") % {"field": label})
    if has_control_characters(value):
        raise DomainError("control", _("Remove the invisible control characters from %(field)s.") % {"field": label})
    return value


def check_name(value: str, label: str) -> str:
    """A name of an organisation or a person: ``check_plain``, and letters in it (the rule of
    every name the site shows, ``core.plain_text.name_refusal``)."""
    value = check_plain(value, label)
    if name_refusal(value) is not None:
        raise DomainError("not_a_name", _("%(field)s needs letters in it, in any alphabet.") % {"field": label})
    return value
