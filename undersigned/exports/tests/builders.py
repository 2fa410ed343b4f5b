"""Big statements for the export tests and ``benchmarks/pdf.py``: confirmed signatures and approved
sign-ons written in bulk, with their counters and ledger events, as thousands of signers and
reviews would have left them (the services would take minutes for 100,000)."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from undersigned.core.public_ids import new_public_id
from undersigned.ledger.models import PendingEvent
from undersigned.organisations.models import OrganisationType, SignOn, SignOnTally
from undersigned.signatures.models import Signature, TallyShard
from undersigned.statements.models import Statement

COUNTRIES = ["FR", "ES", "MA", "SN", "DE", "TR", "SY", "AF", "UA", "CO", "EG", "US"]
FIRST = ["Ada", "Amina", "Youssef", "Léa", "María", "Olusegun", "Nguyễn", "Fatima", "Jean-Baptiste", "Zoë"]
LAST = ["Lovelace", "Benali", "Haddad", "Dubois", "García", "Adeyemi", "Thị Lan", "Zahra", "Nakamura", "Økland"]
ARABIC = ["مريم حداد", "يوسف حداد", "سارة الخطيب", "عمر ف."]


def signer_name(number: int) -> str:
    """A varied public name: full names, first name and initial, Arabic script, now and then long."""
    if number % 17 == 0:
        return ARABIC[number // 17 % len(ARABIC)]
    first, last = FIRST[number % len(FIRST)], LAST[number // len(FIRST) % len(LAST)]
    if number % 5 == 0:
        return f"{first} {last[0]}."
    if number % 997 == 0:
        return f"{first} {last}-Montgomery-Wolstenholme de la Fuente y Albuquerque {number}"
    return f"{first} {last} {number}"


def bulk_signatures(statement: Statement, count: int, *, hidden_every: int = 10, seed: int = 7) -> Counter[str]:
    """``count`` confirmed signatures of ``statement``, every ``hidden_every``-th without a public name;
    their tally shards and confirmed events. Returns the count by country."""
    generator = random.Random(seed)  # noqa: S311  (sample data)
    revision_id = int(statement.texts.get(language=statement.original_language).published_revision_id or 0)
    now = timezone.now()
    by_country: Counter[str] = Counter()
    rows, events = [], []
    for number in range(count):
        country = generator.choice(COUNTRIES)
        by_country[country] += 1
        shown = number % hidden_every != hidden_every - 1
        public_id = new_public_id()
        rows.append(
            Signature(
                statement=statement,
                revision_id=revision_id,
                public_id=public_id,
                status=Signature.Status.CONFIRMED,
                email_hash=hashlib.sha256(f"{statement.pk}:{seed}:{number}".encode()).hexdigest(),
                country=country,
                name_shown=Signature.NameShown.FULL if shown else Signature.NameShown.HIDDEN,
                display_name=signer_name(number) if shown else "",
                network_hash="n" * 64,
                language="en",
                confirmed_at=now - timedelta(seconds=count - number),
            )
        )
        events.append(PendingEvent(statement=statement, kind="signature.confirmed", subject=public_id, country=country))
    Signature.objects.bulk_create(rows, batch_size=2000)
    PendingEvent.objects.bulk_create(events, batch_size=2000)
    for country, confirmed in by_country.items():
        shard, _created = TallyShard.objects.get_or_create(statement=statement, country=country, shard=0)
        TallyShard.objects.filter(pk=shard.pk).update(confirmed=shard.confirmed + confirmed)
    return by_country


def bulk_sign_ons(statement: Statement, count: int) -> list[SignOn]:
    """``count`` approved sign-ons of ``statement``, with their counters and approved events."""
    revision_id = int(statement.texts.get(language=statement.original_language).published_revision_id or 0)
    kinds = list(OrganisationType.objects.order_by("position"))
    rows = []
    for number in range(count):
        name = f"Neighbourhood Association number {number}" if number % 9 else f"جمعية الحي رقم {number}"
        rows.append(
            SignOn(
                statement=statement,
                revision_id=revision_id,
                status=SignOn.Status.APPROVED,
                name=name,
                normalised_name=name.casefold(),
                country=COUNTRIES[number % len(COUNTRIES)],
                type=kinds[number % len(kinds)],
                contact_email_hash=hashlib.sha256(f"contact:{statement.pk}:{number}".encode()).hexdigest(),
                language="en",
            )
        )
    created = SignOn.objects.bulk_create(rows, batch_size=1000)
    PendingEvent.objects.bulk_create(
        PendingEvent(statement=statement, kind="sign_on.approved", subject=row.public_id, country=str(row.country))
        for row in created
    )
    tallies: Counter[tuple[str, int]] = Counter((str(row.country), row.type_id) for row in created)
    for (country, type_id), approved in tallies.items():
        tally, _created = SignOnTally.objects.get_or_create(statement=statement, country=country, type_id=type_id)
        SignOnTally.objects.filter(pk=tally.pk).update(approved=tally.approved + approved)
    return created
