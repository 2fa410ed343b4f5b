"""A word-level comparison of two revisions, for readers, as HTML with <ins> and <del>."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words, runs of spaces and single punctuation marks are the units, so a changed comma shows alone.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def word_diff(before: str, after: str) -> SafeString:
    old, new = tokens(before), tokens(after)
    parts: list[str] = []
    for operation, old_start, old_end, new_start, new_end in SequenceMatcher(
        a=old, b=new, autojunk=False
    ).get_opcodes():
        removed = escape("".join(old[old_start:old_end]))
        added = escape("".join(new[new_start:new_end]))
        if operation == "equal":
            parts.append(added)
            continue
        if removed:
            parts.append(f"<del>{removed}</del>")
        if added:
            parts.append(f"<ins>{added}</ins>")
    return mark_safe("".join(parts))  # noqa: S308  (every piece escaped above)
