"""Texts in both languages of a definition: Danish first, English beside it.

Kept below the model and the field types, which both read and check such texts, so that
neither has to import the other for them.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("da", "en")

Text = dict[str, str]


def pick(text: Text | None, language: str) -> str:
    """The text in *language*, falling back to Danish (the default) and then English."""
    if not text:
        return ""
    return text.get(language) or text.get("da") or text.get("en") or ""


def text_ok(value: Any) -> bool:
    """A definition's text has a non-blank Danish and English version."""
    return isinstance(value, dict) and all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGUAGES
    )
