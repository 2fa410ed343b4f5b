"""Every ledger entry sealed before the site log existed becomes a leaf, in the order sealed."""

from django.db import migrations

from undersigned.ledger.site_log import LogModels, append_entries, sign_checkpoint

CHUNK = 5000


def fill(apps, schema_editor):
    LedgerEntry = apps.get_model("ledger", "LedgerEntry")
    Statement = apps.get_model("statements", "Statement")
    log_models = LogModels(
        state=apps.get_model("ledger", "LogState"),
        leaf=apps.get_model("ledger", "LogLeaf"),
        hash=apps.get_model("ledger", "LogHash"),
        secret=apps.get_model("ledger", "ReceiptSecret"),
        checkpoint=apps.get_model("ledger", "LogCheckpoint"),
    )
    slugs = dict(Statement.objects.values_list("pk", "slug"))
    last_pk = 0
    while True:
        chunk = list(LedgerEntry.objects.filter(pk__gt=last_pk).order_by("pk")[:CHUNK])
        if not chunk:
            break
        append_entries(
            (
                (
                    entry,
                    {
                        "seq": entry.seq,
                        "statement": slugs[entry.statement_id],
                        "kind": entry.kind,
                        "subject": entry.subject,
                        "country": entry.country,
                        "at": entry.at,
                        "detail": entry.detail,
                        "hash": entry.hash,
                    },
                )
                for entry in chunk
            ),
            log_models,
        )
        last_pk = chunk[-1].pk
    sign_checkpoint(log_models)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_site_log_append_only"), ("statements", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
