"""CSV that a spreadsheet opens as data, never as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
common spreadsheets (OWASP's "CSV injection"): a signer named ``=HYPERLINK(...)`` could make a
trustee's spreadsheet send other rows away. Such cells get a leading apostrophe, which spreadsheets
read as "this is text" and hide. Every CSV the platform writes goes through ``safe_writer``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

# The full-width forms too: some spreadsheets fold them to the ASCII ones before parsing.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _safe_cell(value: object) -> object:
    # Numbers stay numbers: only text can smuggle a formula (a negative count is written by us).
    return spreadsheet_safe(value) if isinstance(value, str) else value


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose text cells are made ``spreadsheet_safe``."""

    def __init__(self, output: _Writable) -> None:
        self._writer = csv.writer(output)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([_safe_cell(value) for value in row])


class SafeDictWriter:
    """``csv.DictWriter`` whose text cells are made ``spreadsheet_safe`` (the header is ours)."""

    def __init__(self, output: _Writable, fieldnames: Sequence[str]) -> None:
        self._writer = csv.DictWriter(output, fieldnames=fieldnames)

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: Mapping[str, object]) -> Any:
        return self._writer.writerow({key: _safe_cell(value) for key, value in row.items()})


def safe_writer(output: _Writable) -> SafeWriter:
    return SafeWriter(output)
