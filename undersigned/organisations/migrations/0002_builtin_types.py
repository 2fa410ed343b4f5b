from django.db import migrations

BUILTIN_TYPES = [
    ("union", "Union"),
    ("association", "Association"),
    ("community-group", "Community group"),
    ("faith-group", "Faith group"),
    ("ngo", "NGO"),
    ("network", "Network"),
    ("other", "Other"),
]


def add_types(apps, schema_editor):
    organisation_type = apps.get_model("organisations", "OrganisationType")
    for position, (code, name) in enumerate(BUILTIN_TYPES):
        organisation_type.objects.get_or_create(code=code, defaults={"name": name, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
