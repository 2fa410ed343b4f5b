from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0002_statement_requires_proof_of_work"),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="personal_data_purged_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the retention purge deleted its signers' and contacts' personal data.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="retention_days",
            field=models.PositiveSmallIntegerField(default=90, verbose_name="days personal data is kept after closing"),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(("retention_days__gte", 1), ("retention_days__lte", 3650)),
                name="statement_retention_in_range",
            ),
        ),
    ]
