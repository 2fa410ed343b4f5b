"""The secretariat's changes to the witnesses of the site's log: adding one, setting it aside and
taking it back, and asking them all to cosign the newest checkpoint now."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import audit
from undersigned.core.exceptions import DomainError
from undersigned.ledger import tlog
from undersigned.ledger.models import LogWitness

MAX_VKEY_LENGTH = LogWitness._meta.get_field("vkey").max_length or 300
MAX_URL_LENGTH = LogWitness._meta.get_field("url").max_length or 500
# Codes of the errors about each input, so a form can show each next to its field.
KEY_ERRORS = frozenset({"invalid_witness_key", "not_a_cosignature_key", "witness_exists"})
URL_ERRORS = frozenset({"invalid_witness_url", "witness_url_not_https"})


def _check_secretariat(actor: User | None) -> None:
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat chooses the log's witnesses."), status=403)


def witness_key_parsed(vkey: str) -> tlog.Verifier:
    """The witness's cosignature key (C2SP tlog-cosignature, type 0x04) from its ``vkey`` text."""
    text = vkey.strip()
    if not text or len(text) > MAX_VKEY_LENGTH:
        raise DomainError(
            "invalid_witness_key",
            _("Paste the witness's public key, of the form name+key id+key, as the witness publishes it."),
        )
    try:
        verifier = tlog.Verifier.from_vkey(text)
    except tlog.ProofError:
        raise DomainError(
            "invalid_witness_key",
            _(
                "This is not a public key the site can read. A witness's key has the form name+key id+key, "
                "as the witness publishes it."
            ),
        ) from None
    if verifier.signature_type != tlog.COSIGNATURE_V1:
        raise DomainError(
            "not_a_cosignature_key",
            _(
                "This is a key for signing notes, not a witness's cosignature key. Ask the witness for its "
                "cosignature key (type 0x04)."
            ),
        )
    return verifier


_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def witness_url_normalised(url: str) -> str:
    """The witness's URL prefix, without a trailing slash (add-checkpoint is under it). HTTPS only,
    but for a witness on this machine or a development site: a cosignature is checked with the
    witness's key anyway, but a log asking over plain HTTP tells every network on the way whom it
    trusts and when."""
    text = url.strip()
    invalid = DomainError(
        "invalid_witness_url",
        _("Enter the witness's address, such as https://witness.example.org/submission, without a query."),
    )
    if not text or len(text) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise invalid
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.port == 0:  # reading the port checks it is a number below 65536
            raise invalid
    except ValueError:
        raise invalid from None
    if (
        parts.scheme.lower() not in {"https", "http"}
        or not (_HOST_NAME.fullmatch(host) or _is_ip_address(host))
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise invalid
    if parts.scheme.lower() == "http" and not (settings.DEBUG or _is_loopback(host)):
        raise DomainError(
            "witness_url_not_https",
            _("The witness's address must start with https:// (plain http is only for a witness on this machine)."),
        )
    return text.rstrip("/")


def witness_add(*, actor: User | None, vkey: str, url: str) -> LogWitness:
    """A new active witness; its name is its key's. The newest checkpoint goes to it with the next
    sealing, or at once from the log's staff page."""
    _check_secretariat(actor)
    verifier = witness_key_parsed(vkey)
    prefix = witness_url_normalised(url)
    exists = DomainError(
        "witness_exists",
        _("A witness named %(name)s is already set. Each witness is known by its key's name.")
        % {"name": verifier.name},
    )
    if LogWitness.objects.filter(name=verifier.name).exists():
        raise exists
    try:
        with transaction.atomic():
            witness = LogWitness.objects.create(name=verifier.name, url=prefix, vkey=verifier.vkey)
            audit.record(
                actor=actor,
                action="log_witness.added",
                subject=witness,
                detail={"name": witness.name, "url": witness.url, "vkey": witness.vkey},
            )
    except IntegrityError:  # added by someone else since the check above
        raise exists from None
    return witness


def witness_set_active(*, actor: User | None, witness_id: int, active: bool) -> LogWitness:
    """Sets a witness aside (its checkpoints stop going to it, its cosignatures stay published) or
    takes it back. Its problem, if any, stays until it cosigns again."""
    _check_secretariat(actor)
    with transaction.atomic():
        witness = LogWitness.objects.select_for_update().filter(pk=witness_id).first()
        if witness is None:
            raise DomainError("not_found", _("There is no such witness."), status=404)
        if witness.active != active:
            witness.active = active
            witness.save(update_fields=["active"])
            audit.record(
                actor=actor,
                action="log_witness.activated" if active else "log_witness.deactivated",
                subject=witness,
                detail={"name": witness.name},
            )
    return witness


def witnessing_request(*, actor: User | None) -> bool:
    """Asks, in the background, every active witness to cosign the newest checkpoint now; False
    when there is no active witness to ask."""
    _check_secretariat(actor)
    if not LogWitness.objects.filter(active=True).exists():
        return False
    from undersigned.ledger.tasks import send_checkpoint_to_witnesses

    # A row of the database task backend: queued now, sent by the worker with no transaction open.
    send_checkpoint_to_witnesses.enqueue()
    return True
