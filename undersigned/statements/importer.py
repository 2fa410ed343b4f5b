"""Reads a statement in the shape of a press release (see docs/importing.md).

    Title
    Dateline (optional)                      12 October 2023 / PARIS, 12 October 2023 —
    Headline calls: short lines              Decent housing for every seasonal worker!
    Paragraphs, separated by blank lines
    The call to action, the last paragraph, with the end mark ###

The text is kept exactly as written: quotes, dashes, non-breaking spaces, any script. Only the end
marks (###, # # #, -30-) and spaces at line ends are removed. The parser either returns the whole
statement or refuses with a message that names the line; it stores nothing itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from undersigned.statements.datelines import NotARealDateError, parse_dateline

MAX_BYTES = 1_000_000
MAX_TITLE = 300
MAX_HEADLINE_CALL = 150
MAX_HEADLINE_LINES = 8
MAX_CALL_TO_ACTION = 2000
MAX_BODY = 100_000

_END_MARK = r"(?:###|# # #|-30-)"
_END_MARK_LINE = re.compile(rf"^\s*{_END_MARK}\s*$")
# At a line's end: after a space, or "###" glued to the last word ("statement.###").
_END_MARK_AT_END = re.compile(rf"(?:(?<=\S)[ \t\u00a0]+{_END_MARK}|(?<=[^\s#])###)[ \t]*$")
# What ends a sentence, in the scripts press releases come in; a headline call ends otherwise.
_SENTENCE_ENDS = tuple(".?:;…。．？।॥؟۔።፧")
_CLOSING_QUOTES = "”’»›\"')」』）"
_ALLOWED_CONTROLS = {"\n", "\t"}


class ImportRefusedError(ValueError):
    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class ParsedStatement:
    title: str
    dateline_date: date | None
    dateline_place: str
    headline_calls: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    call_to_action: str = ""

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class _Block:
    first_line: int
    lines: list[str]


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file, or a refusal that says what is wrong with it."""
    if len(data) > MAX_BYTES:
        raise ImportRefusedError(_("The file is larger than 1 MB; a statement may be at most 1 MB."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefusedError(
            _("this is not UTF-8 text. Save the file as UTF-8 (plain text) and try again."), line=line
        ) from None


def _check_characters(lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        for character in line:
            category = unicodedata.category(character)
            if (category == "Cc" and character not in _ALLOWED_CONTROLS) or category == "Cs":
                raise ImportRefusedError(
                    _("this line holds control characters: the file looks like binary data, not text."), line=number
                )


def _strip_end_marks(line: str) -> str:
    if _END_MARK_LINE.match(line):
        return ""
    return _END_MARK_AT_END.sub("", line)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces, and invisible format characters such as direction marks."""
    return all(character.isspace() or unicodedata.category(character) == "Cf" for character in text)


def _reads_as_a_sentence(line: str) -> bool:
    """Ends like a sentence, or holds a sentence's end inside it ("The mayor said: “…”")."""
    line = line.strip()
    if line.rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_ENDS):
        return True
    return any(f"{end} " in line for end in _SENTENCE_ENDS)


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(lines, start=1):
        if is_blank(line):
            current = None
            continue
        if current is None:
            current = _Block(first_line=number, lines=[])
            blocks.append(current)
        current.lines.append(line)
    return blocks


def _is_headline_block(block: _Block, *, first: bool) -> bool:
    """Short lines, each complete in itself, that do not read as a paragraph.

    A line that runs on into the next (which starts in lower case) is a wrapped paragraph. A block
    of sentences (ending in a full stop, question mark, colon … in any script, quotes aside) is a
    paragraph, unless it is the first block and holds several lines: one call per line, as press
    offices write them.
    """
    if len(block.lines) > MAX_HEADLINE_LINES:
        return False
    if any(len(line) > MAX_HEADLINE_CALL for line in block.lines):
        return False
    if any(following.lstrip()[:1].islower() for following in block.lines[1:]):
        return False
    sentences = any(_reads_as_a_sentence(line) for line in block.lines)
    return not sentences or (first and len(block.lines) > 1)


def parse_press_release(text: str, *, language: str) -> ParsedStatement:
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise ImportRefusedError(_("The text is longer than 1 MB; a statement is a few pages at most."))
    lines = [line.rstrip(" \t") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    _check_characters(lines)
    blocks = _blocks([_strip_end_marks(line) for line in lines])
    if not blocks:
        raise ImportRefusedError(_("The text is empty. Paste a statement: a title, then its paragraphs."))

    title = blocks[0].lines[0].strip()
    title_line = blocks[0].first_line
    if is_blank(title):
        raise ImportRefusedError(_("the title is made of invisible characters only."), line=title_line)
    if len(title) > MAX_TITLE:
        raise ImportRefusedError(
            _(
                "the first line is taken as the title, but it is longer than %(max)s characters. "
                "Put the title on a line of its own."
            )
            % {"max": MAX_TITLE},
            line=title_line,
        )
    rest = blocks[0].lines[1:]
    remaining = ([_Block(title_line + 1, rest)] if rest else []) + blocks[1:]

    dateline_date: date | None = None
    dateline_place = ""
    if remaining:
        candidate = remaining[0]
        try:
            dateline = parse_dateline(candidate.lines[0], language=language)
        except NotARealDateError:
            raise ImportRefusedError(
                _("“%(text)s” looks like a date, but no such day exists.") % {"text": candidate.lines[0].strip()},
                line=candidate.first_line,
            ) from None
        if dateline is not None:
            if len(dateline.place) > 120:
                raise ImportRefusedError(
                    _("the place in the dateline is longer than 120 characters."), line=candidate.first_line
                )
            dateline_date, dateline_place = dateline.date, dateline.place
            after = ([dateline.rest] if dateline.rest else []) + candidate.lines[1:]
            remaining = ([_Block(candidate.first_line, after)] if after else []) + remaining[1:]

    headline_calls: list[str] = []
    # Headline calls come before the first paragraph, and there must still be a paragraph after them.
    while len(remaining) > 1 and _is_headline_block(remaining[0], first=not headline_calls):
        headline_calls.extend(line.strip() for line in remaining.pop(0).lines)

    if not remaining:
        last_line = max((number for number, line in enumerate(lines, start=1) if not is_blank(line)), default=1)
        raise ImportRefusedError(
            _("there is a title but no paragraph of text after it: a statement needs a body."), line=last_line
        )
    paragraphs = ["\n".join(block.lines) for block in remaining]
    call_to_action = ""
    if len(paragraphs) > 1 and len(paragraphs[-1]) <= MAX_CALL_TO_ACTION:
        call_to_action = paragraphs.pop()
    if len("\n\n".join(paragraphs)) > MAX_BODY:
        raise ImportRefusedError(_("The body is longer than %(max)s characters.") % {"max": f"{MAX_BODY:,}"})
    return ParsedStatement(
        title=title,
        dateline_date=dateline_date,
        dateline_place=dateline_place,
        headline_calls=headline_calls,
        paragraphs=paragraphs,
        call_to_action=call_to_action,
    )
