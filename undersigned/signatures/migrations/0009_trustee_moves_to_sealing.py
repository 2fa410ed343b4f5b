# ``Trustee`` is now ``sealing.Trustee`` (see ``sealing.0001_initial``): it leaves this app's
# models, and its table, rows and constraints stay as they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sealing', '0001_initial'),
        ('signatures', '0008_signature_erased_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Trustee')],
            database_operations=[],
        ),
    ]
