"""Marks of use written before single-use marks had a table of their own (as ``once:`` rate-limit
counters) move to it, so that a member's sign-in link or a proof-of-work answer used just before
the upgrade is not accepted once more after it. Marks kept in Redis then are not moved: they
lapse within the hour their links and answers have left anyway."""

from django.db import migrations

# old counter key prefix -> the mark's key prefix now
MOVED = {
    "once:member-link:": "link:undersigned.organisations.member-sign-in:",
    "once:proof-of-work:used:": "proof-of-work:used:",
}


def move_marks(apps, schema_editor):
    counter = apps.get_model("core", "RateLimitCounter")
    mark = apps.get_model("core", "SingleUseMark")
    for old, new in MOVED.items():
        rows = counter.objects.filter(key__startswith=old).values_list("key", "expires_at")
        mark.objects.bulk_create(
            [mark(key=(new + key.removeprefix(old))[:200], expires_at=expires) for key, expires in rows],
            ignore_conflicts=True,
        )
        counter.objects.filter(key__startswith=old).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_single_use_mark")]

    operations = [migrations.RunPython(move_marks, migrations.RunPython.noop)]
