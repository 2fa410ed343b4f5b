"""The models and their migrations agree: a model changed without its migration fails here, on
SQLite and on PostgreSQL, as `manage.py makemigrations --check` would in CI."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as stopped:
        pytest.fail(f"models changed without a migration (makemigrations exits {stopped.code}):\n{output.getvalue()}")
