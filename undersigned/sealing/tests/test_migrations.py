"""Trustees moved from the signatures app to this one without moving their table: a trustee
registered before the move is the same row, with the same content type, after it."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from undersigned.commissions.models import Commission
from undersigned.core.crypto import new_identity
from undersigned.sealing.models import Trustee

BEFORE_THE_MOVE = ("signatures", "0008_signature_erased_at")


def migrate(targets: list[tuple[str, str | None]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


# Migrations change the schema editor's state, which SQLite refuses inside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_a_trustee_registered_before_the_move_is_the_same_row_after_it():
    content_type = ContentType.objects.get_for_model(Trustee)
    _, public_key = new_identity()
    try:
        migrate([("sealing", None)])  # back to where trustees belonged to the signatures app
        old_apps = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE).apps
        old_trustee = old_apps.get_model("signatures", "Trustee")
        commission = Commission.objects.create(slug="before-the-move")  # the move leaves commissions as they are
        registered = old_trustee.objects.create(commission_id=commission.pk, name="Olga Old", public_key=public_key)
        assert ContentType.objects.get(pk=content_type.pk).app_label == "signatures"
    finally:
        migrate()

    trustee = Trustee.objects.get(pk=registered.pk)
    assert (trustee.name, trustee.public_key, trustee.commission_id, trustee.is_active) == (
        "Olga Old",
        public_key,
        commission.pk,
        True,
    )
    assert ContentType.objects.get_for_model(Trustee) == content_type
    assert not ContentType.objects.filter(app_label="signatures", model="trustee").exists()
