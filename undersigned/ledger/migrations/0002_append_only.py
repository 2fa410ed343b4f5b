"""The database itself refuses to change or delete ledger entries and checkpoints."""

from django.db import migrations

TABLES = ("ledger_ledgerentry", "ledger_checkpoint")


def add_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'the count ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME; END; "
                "$$ LANGUAGE plpgsql"
            )
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
                )
        elif connection.vendor == "sqlite":
            for table in TABLES:
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
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
