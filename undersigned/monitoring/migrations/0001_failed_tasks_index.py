from django.db import migrations

# /metrics counts the failed tasks at every scrape. The task table keeps a row for every task ever
# run (a message each: millions on a busy site) and no index of the backend's covers FAILED rows;
# this one holds only them, a handful. Its WHERE clause is the scrape's, word for word
# (``monitoring.selectors.TASK_STATES``): SQLite uses a partial index only for a query that repeats it.
FAILED_TASKS_INDEX = """
CREATE INDEX monitoring_failed_tasks_idx ON django_tasks_database_dbtaskresult (task_path)
WHERE status = 'FAILED'
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(FAILED_TASKS_INDEX, reverse_sql="DROP INDEX monitoring_failed_tasks_idx"),
    ]
