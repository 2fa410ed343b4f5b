"""Fraud signals of a signature, kept with it; their weights add up to a score. A signature whose
score reaches ``FRAUD_HOLD_SCORE`` is held for review when confirmed: not counted until a moderator
clears it. Signals never decide alone what is fraud: they sort the review queue.

- ``disposable_domain``: the address is at a throwaway-mail domain (the ``disposable-email-domains``
  package's list, updated by upgrading the package);
- ``network_burst``: many signatures of this statement from the same /24 or /48 within minutes;
- ``similar_names``: many signatures of this statement with the same name (compared by a short
  keyed hash of the normalised name, so no name is kept) within the hour;
- ``fast_confirmation``: confirmed sooner after signing than a person opening an email can;
- ``no_proof_of_work``: the browser did not solve the proof of work its statement asked for (no
  JavaScript, or a script); a statement that does not ask for it does not offer it either;
- ``country_mismatch``: the country given is not the one of the signer's network, by a local GeoIP
  database when the operator configures one (``GEOIP_DATABASE``). Weak: people sign from abroad.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from functools import cache

from django.db.models import Count, Q
from django.utils import timezone

from undersigned.core import process_caches
from undersigned.core.addresses import normalise_email
from undersigned.core.crypto import keyed_hash

WEIGHTS = {
    "disposable_domain": 3,
    "network_burst": 2,
    # Weak alone: common names repeat on a statement that many sign; with no proof of work and a
    # confirmation within seconds it adds up to what automated signing looks like.
    "similar_names": 1,
    "fast_confirmation": 1,
    "no_proof_of_work": 1,
    "country_mismatch": 1,
}
BURST_WINDOW = timedelta(minutes=10)
BURST_SIZE = 20
NAMES_WINDOW = timedelta(hours=1)
NAMES_SIZE = 5
FAST_CONFIRMATION = timedelta(seconds=5)


@process_caches.register_function(never_stale="the package's list of domains ships with the code")
@cache
def _disposable_domains() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable(email: str) -> bool:
    domain = normalise_email(email).rpartition("@")[2]
    parts = domain.split(".")
    # A subdomain of a listed domain is as disposable as the domain.
    return any(".".join(parts[index:]) in _disposable_domains() for index in range(len(parts) - 1))


def name_key(name: str) -> str:
    """Eight hex digits of a keyed hash of the name folded to letters: groups near-identical names
    ("Ana Pérez", "ana perez ") and keeps too little to tell the name."""
    folded = "".join(
        character
        for character in unicodedata.normalize("NFKD", name.casefold())
        if unicodedata.category(character)[0] == "L"
    )
    return keyed_hash("signer-name", folded)[:8] if folded else ""


def signals_at_signing(
    *,
    statement_id: int,
    email: str,
    network_hash: str,
    name_key: str,
    proof_of_work: bool,
    country: str = "",
    network_country: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    from undersigned.signatures.models import Signature

    now = now or timezone.now()
    found = []
    if is_disposable(email):
        found.append("disposable_domain")
    # One round trip for both neighbours counts, each served by its own index.
    recent = Signature.objects.filter(statement_id=statement_id, created_at__gte=now - max(BURST_WINDOW, NAMES_WINDOW))
    same_network = Q(network_hash=network_hash, created_at__gte=now - BURST_WINDOW)
    same_name = Q(name_key=name_key, created_at__gte=now - NAMES_WINDOW) if name_key else Q(pk__in=[])
    counts = recent.filter(same_network | same_name).aggregate(
        network=Count("pk", filter=same_network), names=Count("pk", filter=same_name)
    )
    if counts["network"] >= BURST_SIZE:
        found.append("network_burst")
    if counts["names"] >= NAMES_SIZE:
        found.append("similar_names")
    if not proof_of_work:
        found.append("no_proof_of_work")
    if network_country and country and network_country != country:
        found.append("country_mismatch")
    return found


def signals_at_confirmation(signals: list[str], signed_at: datetime, now: datetime) -> list[str]:
    if now - signed_at < FAST_CONFIRMATION and "fast_confirmation" not in signals:
        return [*signals, "fast_confirmation"]
    return list(signals)


def score_of(signals: list[str]) -> int:
    return sum(WEIGHTS.get(signal, 0) for signal in signals)
