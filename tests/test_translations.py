"""Danish is the default language: every user-facing string needs a Danish translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT

METHOD_MAP = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extracted_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def danish_catalogue() -> dict[str, object]:
    path: Path = PROJECT_ROOT / "app/translations/da/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}


def _strings(message: object) -> tuple[str, ...]:
    string = message.string  # type: ignore[attr-defined]
    return string if isinstance(string, tuple) else (string,)


def test_every_user_facing_string_has_a_danish_translation():
    messages = extracted_messages()
    assert len(messages) > 40, "extraction found suspiciously few strings"
    catalogue = danish_catalogue()
    untranslated = sorted(
        f"{where}: {msgid!r}"
        for msgid, where in messages.items()
        if msgid not in catalogue or not all(_strings(catalogue[msgid])) or catalogue[msgid].fuzzy  # type: ignore[attr-defined]
    )
    assert not untranslated, "run `make extract-messages` and translate:\n" + "\n".join(
        untranslated
    )


def test_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    for msgid, message in danish_catalogue().items():
        strings = message.string  # type: ignore[attr-defined]
        for string in strings if isinstance(strings, tuple) else (strings,):
            if string:
                assert set(placeholder.findall(msgid)) == set(placeholder.findall(string)), msgid
