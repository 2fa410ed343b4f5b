"""Single use: a member's sign-in link, a proof-of-work answer, a scheduled job's window.

The mark is written to the database whatever the cache, in one statement that is atomic on both
databases: of two requests using the same thing at once, exactly one is first. A mark whose time
is over frees its key again; by then what it marked has expired by its own rules.
"""

from __future__ import annotations

import random
import time

from django.db import connection

from undersigned.core.models import SingleUseMark


def first_use(key: str, *, ttl_seconds: int) -> bool:
    """True the first time ``key`` is used within ``ttl_seconds``, in every process; False after."""
    now = int(time.time())
    table = connection.ops.quote_name(SingleUseMark._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, expires_at) VALUES (%s, %s) "  # noqa: S608  (quoted table name, placeholders)
            f"ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE {table}.expires_at < %s "
            "RETURNING key",
            [key, now + ttl_seconds, now],
        )
        first = cursor.fetchone() is not None
    if first and random.random() < 0.01:  # noqa: S311  (sweeping now and then, not a secret)
        SingleUseMark.objects.filter(expires_at__lt=now).delete()
    return first
