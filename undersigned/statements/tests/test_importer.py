from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undersigned.statements.datelines import parse_dateline
from undersigned.statements.importer import (
    ImportRefusedError,
    decode_upload,
    parse_press_release,
)

DEMO = Path(__file__).resolve().parents[1] / "demo"

PRESS_RELEASE = """Statement on Seasonal Workers’ Housing

12 March 2025

Decent housing for every seasonal worker!
Inspect every farm camp now!

The Commission on Labour Mobility of the Example Federation — “our members” — asks for\u00a0inspections.

Housing must be inspected before each season – not after complaints.

We call on our member organisations and on the public to endorse this statement. ###
"""


def test_the_press_release_shape_is_parsed_into_its_parts():
    parsed = parse_press_release(PRESS_RELEASE, language="en")
    assert parsed.title == "Statement on Seasonal Workers’ Housing"
    assert parsed.dateline_date == date(2025, 3, 12)
    assert parsed.headline_calls == ["Decent housing for every seasonal worker!", "Inspect every farm camp now!"]
    assert parsed.paragraphs == [
        "The Commission on Labour Mobility of the Example Federation — “our members” — asks for\u00a0inspections.",
        "Housing must be inspected before each season – not after complaints.",
    ]
    assert parsed.call_to_action == "We call on our member organisations and on the public to endorse this statement."


@pytest.mark.parametrize(
    ("line", "language", "expected", "place"),
    [
        ("12 October 2023", "en", date(2023, 10, 12), ""),
        ("October 12, 2023", "en", date(2023, 10, 12), ""),
        ("2023-10-12", "en", date(2023, 10, 12), ""),
        ("12/10/2023", "fr", date(2023, 10, 12), ""),
        ("12/10/2023", "es", date(2023, 10, 12), ""),
        ("10/12/2023", "en", date(2023, 10, 12), ""),
        ("12/10/2023", "en-gb", date(2023, 10, 12), ""),
        ("PARIS, 12 October 2023 —", "fr", date(2023, 10, 12), "PARIS"),
        ("LYON, 12 mars 2025 —", "fr", date(2025, 3, 12), "LYON"),
        ("1er octobre 2023", "fr", date(2023, 10, 1), ""),
        ("12 de marzo de 2025", "es", date(2025, 3, 12), ""),
        ("Madrid, 12 de marzo de 2025 –", "es", date(2025, 3, 12), "Madrid"),
        ("١٢ مارس ٢٠٢٥", "ar", date(2025, 3, 12), ""),
        ("12 آذار 2025", "ar", date(2025, 3, 12), ""),
        ("Sept. 3, 2024", "en", date(2024, 9, 3), ""),
    ],
)
def test_dateline_forms(line, language, expected, place):
    parsed = parse_press_release(f"Title\n\n{line}\n\nA paragraph.", language=language)
    assert (parsed.dateline_date, parsed.dateline_place) == (expected, place)
    assert parsed.paragraphs == ["A paragraph."]


def test_a_dateline_may_open_the_first_paragraph():
    parsed = parse_press_release("Title\n\nPARIS, 12 October 2023 — The commission met today.\n", language="en")
    assert parsed.dateline_place == "PARIS"
    assert parsed.paragraphs == ["The commission met today."]


def test_without_a_dateline_the_text_still_imports():
    parsed = parse_press_release("Title\n\nThe commission met today.\n\nJoin us. ###", language="en")
    assert parsed.dateline_date is None
    assert parsed.paragraphs == ["The commission met today."]
    assert parsed.call_to_action == "Join us."


@pytest.mark.parametrize(
    "text",
    [
        "Title\n\nOne.\n\nTwo.\n\n###\n",
        "Title\n\nOne.\n\nTwo. ###",
        "Title\n\nOne.\n\nTwo. # # #",
        "Title\n\nOne.\n\nTwo.\n\n-30-",
        "Title\n\nOne.\n\nTwo. -30-\n\n",
        "Title\n\nOne.\n###\n\nTwo.",
    ],
)
def test_end_marks_are_removed_wherever_they_stand(text):
    parsed = parse_press_release(text, language="en")
    assert "###" not in parsed.body + parsed.call_to_action
    assert "-30-" not in parsed.body + parsed.call_to_action
    assert "# # #" not in parsed.body + parsed.call_to_action
    assert [*parsed.paragraphs, parsed.call_to_action] == ["One.", "Two."]


def test_markdown_headings_are_not_end_marks():
    parsed = parse_press_release("Title\n\nOne.\n\n### A heading\n\nTwo.\n\nThree.", language="en")
    assert parsed.paragraphs == ["One.", "### A heading", "Two."]


def test_typography_and_scripts_are_kept_exactly():
    text = (
        "بيان حول ساعات عمل المكتبات\n\n2025-03-12\n\nافتحوا المكتبات مساءً!\n\n"
        "«نص» — مع مسافة\u00a0غير منقسمة، وشرطة – قصيرة.\n"
    )
    parsed = parse_press_release(text, language="ar")
    assert parsed.title == "بيان حول ساعات عمل المكتبات"
    assert parsed.headline_calls == ["افتحوا المكتبات مساءً!"]
    assert parsed.paragraphs == ["«نص» — مع مسافة\u00a0غير منقسمة، وشرطة – قصيرة."]


def test_a_wrapped_paragraph_is_not_taken_for_headline_calls():
    text = "Title\n\nThe commission asks that\nlibraries open in the evening.\n\nSecond paragraph."
    parsed = parse_press_release(text, language="en")
    assert parsed.headline_calls == []
    assert parsed.paragraphs[0] == "The commission asks that\nlibraries open in the evening."


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", None, "empty"),
        ("   \n\n \u00a0\n", None, "empty"),
        ("Only a title\n", 1, "no paragraph"),
        ("Title\n\n###\n", 3, "no paragraph"),
        ("Title\n\n31 February 2024\n\nBody.", 3, "no such day"),
        ("Title\n\n2023-13-45\n\nBody.", 3, "no such day"),
        ("Title\n\n32/10/2023\n\nBody.", 3, "no such day"),
        ("x" * 301 + "\n\nBody.", 1, "longer than 300"),
        ("Title\n\nBody with a \x00 byte.", 3, "control characters"),
    ],
)
def test_what_cannot_be_parsed_is_refused_with_the_line(text, line, words):
    with pytest.raises(ImportRefusedError) as refused:
        parse_press_release(text, language="en")
    assert refused.value.line == line
    assert words in str(refused.value)


def test_uploads_must_be_utf8_text_of_reasonable_size():
    with pytest.raises(ImportRefusedError, match="not UTF-8"):
        decode_upload("Title\n\nCaf\u00e9".encode("latin-1"))
    with pytest.raises(ImportRefusedError) as refused:
        decode_upload(b"Title\n\nOne\n\xff\xfe")
    assert refused.value.line == 4
    with pytest.raises(ImportRefusedError, match="larger than 1 MB"):
        decode_upload(b"a" * 5_000_000)
    assert decode_upload("\ufeffTitle".encode()) == "Title"


def test_binary_data_is_refused():
    with pytest.raises(ImportRefusedError, match="binary"):
        parse_press_release(decode_upload(bytes(range(0, 128)) * 4), language="en")


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.txt")), ids=lambda path: path.name)
def test_every_demo_statement_parses_fully(path):
    language = path.name.split(".")[1]
    parsed = parse_press_release(path.read_text(encoding="utf-8"), language=language)
    assert parsed.dateline_date is not None
    assert 2 <= len(parsed.headline_calls) <= 3
    assert len(parsed.paragraphs) >= 2
    assert parsed.call_to_action
    assert "###" not in parsed.call_to_action


def _lines_of(text: str) -> list[str]:
    """The non-blank lines of ``text`` as the importer sees them (a line of invisible characters
    only, such as a soft hyphen, is blank), end marks removed, in order."""
    from undersigned.statements.importer import _strip_end_marks, is_blank

    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_strip_end_marks(line.rstrip(" \t")) for line in normalised.split("\n")]
    return [line.strip() for line in lines if not is_blank(line)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(min_size=0, max_size=200),
            st.sampled_from(["", "###", "-30-", "12 March 2025", "Decent housing!", "PARIS, 1 May 2024 —"]),
        ),
        max_size=12,
    ),
    st.sampled_from(["en", "fr", "es", "ar", "ti", "xx"]),
)
def test_any_text_either_imports_every_paragraph_in_order_or_is_refused_with_a_message(pieces, language):
    text = "\n".join(pieces)
    try:
        parsed = parse_press_release(text, language=language)
    except ImportRefusedError as refusal:
        assert str(refusal).strip()
        return
    output = "\n".join([parsed.title, *parsed.headline_calls, *parsed.paragraphs, parsed.call_to_action])
    lines = _lines_of(text)
    if parsed.dateline_date is not None:
        # The line after the title is the dateline, stored as a date and a place; only what follows
        # its dash (the start of the first paragraph) stays text.
        dateline = parse_dateline(lines[1], language=language)
        assert dateline is not None
        lines[1:2] = [dateline.rest] if dateline.rest else []
    position = 0
    for fragment in lines:
        found = output.find(fragment, position)
        assert found != -1, f"{fragment!r} was lost"
        position = found + len(fragment)
