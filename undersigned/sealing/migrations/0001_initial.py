# Trustees move here from the signatures app, with their table: the table keeps its name
# (``signatures_trustee``) and its rows, and this migration only tells Django that the model is
# now ``sealing.Trustee``. Organisations' contacts are sealed to trustees' keys too, so they are
# not the signatures' own. The table itself is created by ``signatures.0001_initial``.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def content_type_to_sealing(apps, schema_editor):
    """Keeps the model's content type, and with it any permission given on trustees, instead of
    leaving a stale one behind and making a new one."""
    _move_content_type(apps, schema_editor, source="signatures", target="sealing")


def content_type_to_signatures(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="sealing", target="signatures")


def _move_content_type(apps, schema_editor, *, source, target):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    if not content_types.filter(app_label=target, model="trustee").exists():
        content_types.filter(app_label=source, model="trustee").update(app_label=target)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('commissions', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('signatures', '0008_signature_erased_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Trustee',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('public_key', models.CharField(max_length=100, verbose_name='public key')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('is_active', models.BooleanField(default=True)),
                        ('commission', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='trustees', to='commissions.commission')),
                    ],
                    options={
                        'verbose_name': 'trustee',
                        'db_table': 'signatures_trustee',
                        'constraints': [models.UniqueConstraint(fields=('commission', 'public_key'), name='trustee_key_once_per_body'), models.CheckConstraint(condition=models.Q(('public_key__startswith', 'age1')), name='trustee_key_is_age')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_sealing, content_type_to_signatures),
    ]
