"""What a plain text field a person types may hold: checked by forms and, again, by services,
which other ways in (an API, an embed) reach without a form."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _


def has_control_characters(value: str) -> bool:
    # Zero-width joiners are part of how some scripts are written; other format characters are not.
    return any(
        unicodedata.category(character) in {"Cc", "Cf", "Cs"} and character not in "\u200c\u200d" for character in value
    )


def squeezed(value: str) -> str:
    """Runs of white space as one space, none at the ends."""
    return " ".join(value.split())


def _has_letter(word: str) -> bool:
    return any(unicodedata.category(character).startswith("L") for character in word)


def name_refusal(value: str) -> str | None:
    """The one rule for a name shown in public, a person's or an organisation's, as the message
    that refuses it; None if it is a name. Markup is refused rather than shown escaped (no name has
    ``<`` or ``>``), and a name has letters, in any script: emoji and punctuation alone are not one."""
    if "<" in value or ">" in value:
        return _("Names cannot contain < or >.")
    if has_control_characters(value):
        return _("Remove the invisible control characters from this field.")
    if not _has_letter(value):
        return _("Enter a name with letters in it, in any alphabet.")
    return None


def first_name_and_initial(name: str) -> str:
    """ "Ana María López" as "Ana L.", "ليلى بن علي 🌿" as "ليلى ع.": the first word and the first
    letter of the last, counting only words with letters in them (emoji are not names), with the
    marks that belong to that letter (vowel signs, accents written apart)."""
    words = [word for word in name.split() if _has_letter(word)]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    last = words[-1]
    start = next(index for index, character in enumerate(last) if unicodedata.category(character).startswith("L"))
    end = start + 1
    while end < len(last) and unicodedata.category(last[end]).startswith("M"):
        end += 1
    return f"{words[0]} {last[start:end]}."
