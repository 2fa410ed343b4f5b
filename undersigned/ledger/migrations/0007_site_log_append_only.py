"""The site log's leaves, hashes, checkpoints and cosignatures are append-only like the ledger."""

from django.db import migrations

TABLES = ("ledger_logleaf", "ledger_loghash", "ledger_logcheckpoint", "ledger_logcosignature")


def add_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                # ledger_refuse_change() is the ledger's own (0002_append_only).
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
                )
            elif connection.vendor == "sqlite":
                for operation in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, 'the count ledger is append-only ({operation} on {table})'); END"
                    )


def remove_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            elif connection.vendor == "sqlite":
                for operation in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_site_log")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
