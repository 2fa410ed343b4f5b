"""Counts made before the ledger existed enter it as pending events, in the order they were made,
so the first sealing chains them and the log agrees with the counters from the start."""

from django.db import migrations


def record_existing(apps, schema_editor):
    pending = apps.get_model("ledger", "PendingEvent")
    signature = apps.get_model("signatures", "Signature")
    sign_on = apps.get_model("organisations", "SignOn")
    events = []
    for row in signature.objects.filter(status="confirmed").order_by("confirmed_at", "pk").iterator():
        events.append(
            pending(
                statement_id=row.statement_id,
                kind="signature.confirmed",
                subject=row.public_id,
                country=str(row.country),
                detail={"recorded": "when the ledger was introduced"},
                at=row.confirmed_at,
            )
        )
    for row in sign_on.objects.filter(status="approved").order_by("decided_at", "pk").iterator():
        events.append(
            pending(
                statement_id=row.statement_id,
                kind="sign_on.approved",
                subject=row.public_id,
                country=str(row.country),
                detail={"recorded": "when the ledger was introduced"},
                at=row.decided_at or row.created_at,
            )
        )
    pending.objects.bulk_create(events, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_append_only"),
        ("signatures", "0003_signature_invalidated"),
        ("organisations", "0003_signon_public_id"),
    ]

    operations = [migrations.RunPython(record_existing, migrations.RunPython.noop)]
