from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from undersigned.ledger.tests.witness_process import RunningWitness, start_go_witness


@pytest.fixture
def go_witness(tmp_path: Path) -> Iterator[Callable[..., RunningWitness]]:
    """Starts Go test witnesses: ``go_witness(log_vkeys, **options)`` takes the arguments of
    ``start_go_witness`` after ``tmp_path``; every witness started is stopped after the test."""
    started: list[RunningWitness] = []

    def start(log_vkeys: str | list[str], **options: Any) -> RunningWitness:
        witness = start_go_witness(tmp_path, log_vkeys, **options)
        started.append(witness)
        return witness

    yield start
    for witness in started:
        witness.stop()
