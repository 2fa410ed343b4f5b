"""What a plain text field a person types may hold: checked by forms and, again, by services,
which other ways in (an API, an embed) reach without a form."""

from __future__ import annotations

import unicodedata


def has_control_characters(value: str) -> bool:
    # Zero-width joiners are part of how some scripts are written; other format characters are not.
    return any(
        unicodedata.category(character) in {"Cc", "Cf", "Cs"} and character not in "\u200c\u200d" for character in value
    )


def squeezed(value: str) -> str:
    """Runs of white space as one space, none at the ends."""
    return " ".join(value.split())
