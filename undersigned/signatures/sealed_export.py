"""Exports of signers' sealed contact data, for the issuing body's trustees.

The server cannot read the sealed records, so an export carries them as they are: a zip file with
``signatures.csv`` (what the server knows in the clear, one row per signature) and one
``sealed/<id>.age`` file per signature. A trustee opens each with the standard ``age`` tool
(``age -d -i key.txt sealed/17.age``) or all at once with ``manage.py open_export``.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from undersigned.accounts.models import User
from undersigned.core import audit
from undersigned.core.crypto import open_sealed
from undersigned.core.progress import Progress, silent
from undersigned.core.public_ids import new_public_id
from undersigned.core.spreadsheet import safe_writer
from undersigned.ledger.services import record_event
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement

PUBLIC_COLUMNS = [
    "id",
    "status",
    "country",
    "display_name",
    "name_shown",
    "wants_updates",
    "signed_at",
    "confirmed_at",
    "revision",
    "revision_sha256",
]
CONTACT_COLUMNS = ["name", "email", "city", "affiliation"]


def exported_statuses(*, include_pending: bool) -> list[str]:
    """Confirmed signatures only, unless asked: a pending one is an address somebody typed in,
    which its owner may never have seen (nor agreed to). Its ``status`` column says ``pending``."""
    if include_pending:
        return [Signature.Status.CONFIRMED, Signature.Status.PENDING]
    return [Signature.Status.CONFIRMED]


def sealed_export_write(
    *,
    actor: User | None,
    statement: Statement,
    path: Path,
    include_pending: bool = False,
    progress: Progress | None = None,
) -> int:
    """Writes the export of ``statement``'s confirmed signatures (and pending ones if
    ``include_pending``); returns how many.

    The export is recorded in the audit log, with who made it and how many records it holds.
    """
    signatures = (
        Signature.objects.filter(statement=statement, status__in=exported_statuses(include_pending=include_pending))
        .select_related("revision")
        .order_by("pk")
    )
    progress = progress or silent()
    count = 0
    with (
        transaction.atomic(),
        zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as archive,
        # The table goes to a temporary file, not memory (about 100 bytes a row: a gigabyte at ten
        # million), and into the archive at the end: a zip takes one entry at a time.
        tempfile.TemporaryFile() as spooled,
    ):
        progress.start("exporting signatures", signatures.count() if progress.shown else None, unit="signatures")
        table = io.TextIOWrapper(spooled, encoding="utf-8", newline="")
        writer = safe_writer(table)
        writer.writerow(PUBLIC_COLUMNS)
        for signature in signatures.iterator(chunk_size=2000):
            writer.writerow(
                [
                    signature.pk,
                    signature.status,
                    signature.country,
                    signature.display_name,
                    signature.name_shown,
                    signature.wants_updates,
                    signature.created_at.isoformat(),
                    signature.confirmed_at.isoformat() if signature.confirmed_at else "",
                    signature.revision.number,
                    signature.revision.sha256,
                ]
            )
            sealed = bytes(signature.sealed_contact)
            if sealed:  # erased by its signer or purged: the row stays for the count, no contact
                archive.writestr(f"sealed/{signature.pk}.age", sealed)
            count += 1
            progress.advance()
        table.flush()
        spooled.seek(0)
        with archive.open("signatures.csv", "w") as entry:
            shutil.copyfileobj(spooled, entry, length=1 << 20)
        table.detach()  # the temporary file closes with its own block
        audit.record(
            actor=actor,
            action="signatures.exported",
            subject=statement,
            detail={"records": count, "pending_included": include_pending},
        )
        # Public too: anyone can see that, when and how many sealed records left the server.
        record_event(
            statement_id=statement.pk,
            kind="personal_data.exported",
            subject=new_public_id(),
            detail={"records": count, "by": "operator" if actor is None else "staff"},
        )
    progress.finish()
    return count


def sealed_export_open(*, path: Path, identity: str) -> Iterator[dict[str, str]]:
    """Rows of the export with the contact data that ``identity`` opens. Runs on a trustee's computer."""
    with zipfile.ZipFile(path) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("signatures.csv").decode("utf-8")))
        names = set(archive.namelist())
        for row in rows:
            name = f"sealed/{row['id']}.age"
            contact = json.loads(open_sealed(archive.read(name), identity)) if name in names else {}
            yield {**row, **{column: str(contact.get(column, "")) for column in CONTACT_COLUMNS}}
