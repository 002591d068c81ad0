"""What a converter makes: the definition a file in ``forms/local`` would hold, its code
lists, and where each question came from, so the checker's problems go back to the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.fields import FIELD_TYPES
from app.formimport.problems import ImportProblem

#: Sources a definition can be converted from, as the audit trail and the docs name them.
SOURCES = ("xlsform", "redcap")
_NOT_IDENTIFIER = re.compile(r"[^a-z0-9_]+")


@dataclass
class Place:
    """A question's row in the file, and the column each of its attributes came from."""

    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)

    def column(self, attribute: str) -> str:
        return self.columns.get(attribute) or self.columns.get("name", "")


@dataclass
class Converted:
    source: str
    #: The definition without its version (the publishing decides it) and its code lists.
    definition: dict[str, Any] = field(default_factory=dict)
    codelists: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    #: "<code list> / <code>" -> the row of the choice, for the checker's problems with it.
    code_places: dict[str, Place] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    #: The file had one language; the English texts repeat the Danish (REDCap).
    same_labels: bool = False

    def add(self, code: str, sheet: str, row: int, column: str, message: Any) -> None:
        self.problems.append(ImportProblem(code, sheet, row, column, message))

    @property
    def questions(self) -> int:
        return sum(len(s["fields"]) for s in self.definition.get("sections", []))


def codelist_name(slug: str, form_name: str, list_name: str) -> str:
    """A local code list's name: under the municipality and the form, so it can never be
    (or replace) a core code list, whose names have no dots."""
    return f"{slug}.{form_name}.{list_name}"


def section_id(text: str, taken: set[str]) -> str:
    """A lower-case identifier for a section, from its header; unique in the form."""
    base = _NOT_IDENTIFIER.sub("_", text.lower()).strip("_")[:40] or "section"
    if not base[0].isalpha():
        base = f"s_{base}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    taken.add(candidate)
    return candidate


def kind_of(fields: list[dict[str, Any]]) -> Any:
    """For the expressions: what a question's answer compares as (number, truth, codes)."""
    types = {f["name"]: f.get("type") for f in fields if isinstance(f.get("name"), str)}

    def kind(name: str) -> str:
        field_type = FIELD_TYPES.get(types.get(name) or "")
        return field_type.compared_as if field_type else ""

    return kind


def text_pair(da: str, en: str) -> dict[str, str]:
    return {"da": da.strip(), "en": en.strip()}


NO_QUESTIONS = _l("The file has no questions.")


def uncarried(what: str) -> Any:
    """Why a value Helhed cannot carry over is refused (I015): dropping it would change the
    question without a word. *what* is the column or the action tag."""
    return _l(
        "Helhed cannot carry over %(column)s: remove the value, or the question would ask "
        "something else than the file says.",
        column=what,
    )
