"""A task for the tests: the first run takes long enough to be killed, a run after it ends at once."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def hold_on_first_run(marker: str) -> int:
    """Appends a line to ``marker`` per run and returns how many runs it counts."""
    path = Path(marker)
    with path.open("a") as runs:
        runs.write("run\n")
    count = len(path.read_text().splitlines())
    if count == 1:
        time.sleep(60)  # the test kills the worker long before this ends
    return count
