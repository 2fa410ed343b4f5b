from django.db import migrations, models

# The sweep reads, every minute, the tasks that may have lost their worker. The task table keeps a
# row for every task ever run (a message each), and the backend's own index covers only READY rows
# on PostgreSQL; this one holds just the few rows the sweep reads. Its WHERE clause is the sweep's
# filter, ``tasks_sweep.services.ABANDONED_SQL``, word for word: SQLite uses a partial index only
# for a query that repeats its WHERE term.
ABANDONED_INDEX = """
CREATE INDEX tasks_sweep_abandoned_idx ON django_tasks_database_dbtaskresult (started_at)
WHERE (status = 'RUNNING'
 OR (exception_class_path IN ('builtins.SystemExit', 'builtins.KeyboardInterrupt') AND status = 'FAILED'))
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="SweepSchedule",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("next_run_at", models.DateTimeField()),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="sweep_schedule_is_single")],
            },
        ),
        migrations.RunSQL(ABANDONED_INDEX, reverse_sql="DROP INDEX tasks_sweep_abandoned_idx"),
    ]
