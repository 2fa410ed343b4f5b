from django.db import migrations, models

import undersigned.core.public_ids


def give_public_ids(apps, schema_editor):
    model = apps.get_model("organisations", "signon")
    for row in model.objects.filter(public_id__isnull=True).only("pk"):
        model.objects.filter(pk=row.pk).update(public_id=undersigned.core.public_ids.new_public_id())


class Migration(migrations.Migration):
    dependencies = [("organisations", "0002_builtin_types")]

    operations = [
        migrations.AddField(model_name="signon", name="public_id", field=models.CharField(max_length=20, null=True)),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="signon",
            name="public_id",
            field=models.CharField(default=undersigned.core.public_ids.new_public_id, max_length=20, unique=True),
        ),
    ]
