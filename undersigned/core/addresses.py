"""One mailbox, however its address is spelled: the rule that recognises a signer, an organisation's
contact or a person asking for their records by their email address.

Normalising: trimmed, lower-cased, the domain in its IDNA (punycode) form; for providers that
deliver ``a.b+tag@`` to ``ab@``, the dots and the ``+tag`` are folded away, so one mailbox is one
address however it is spelled. Each domain keeps its own keyed hash of the result: a signer's is
``signatures.addresses.email_hash``, a contact's ``organisations.services.names.contact_email_hash``.
"""

from __future__ import annotations

# Providers that ignore dots in the local part and everything after a "+".
DOTS_AND_TAGS_IGNORED = {"gmail.com", "googlemail.com"}
# Providers that deliver "+tag" addresses to the plain mailbox but keep dots significant.
TAGS_IGNORED = {
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "gmx.com",
    "gmx.de",
    "posteo.de",
    "mailbox.org",
    "tutanota.com",
    "tuta.io",
}
CANONICAL_DOMAINS = {"googlemail.com": "gmail.com"}


class InvalidAddressError(ValueError):
    pass


def normalise_email(raw: str) -> str:
    address = raw.strip().lower()
    if address.count("@") != 1:
        raise InvalidAddressError("an address has exactly one @")
    local, separator, domain = address.rpartition("@")
    if not separator or not local or not domain or "." not in domain.strip("."):
        raise InvalidAddressError("an address needs a name, an @ and a domain")
    try:
        domain = domain.strip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidAddressError("the domain is not a valid domain name") from None
    domain = CANONICAL_DOMAINS.get(domain, domain)
    if domain in DOTS_AND_TAGS_IGNORED:
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in TAGS_IGNORED:
        local = local.split("+", 1)[0]
    if not local:
        raise InvalidAddressError("an address needs a name before the @")
    return f"{local}@{domain}"
