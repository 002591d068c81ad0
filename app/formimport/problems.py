"""The problems an imported form file can have, each at its sheet, row and column.

The converter's own codes (``I0xx``) say what it cannot read or express; the definition
checker's codes (``F0xx``, :data:`app.definitions.loader.PROBLEM_CODES`) are translated
back to the row and column the definition's field came from. Messages are lazy: the page
shows them in the reader's language, the command line in the default one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

#: Every code the converters raise, with what it means (docs/forms.md lists them).
IMPORT_CODES = {
    "I002": "a sheet the format needs is missing",
    "I003": "a column the format needs is missing",
    "I004": "a question has no type or no name",
    "I005": "unknown or unsupported question type",
    "I006": "a question names a choice list that is not in the file",
    "I007": "a choice lacks its list, its name or its label",
    "I008": "relevant / branching logic cannot be expressed as show_if",
    "I009": "constraint / validation cannot be expressed as bounds",
    "I010": "required is not yes or no",
    "I011": "a label is missing Danish or English",
    "I012": "groups do not match (nested, or end without begin)",
    "I013": "the choices of a REDCap field cannot be read",
    "I014": "the file has no questions",
    "I015": "a column whose meaning Helhed cannot carry over has a value",
}


@dataclass(frozen=True)
class ImportProblem:
    code: str
    sheet: str
    row: int
    column: str
    message: Any  # a lazy string, rendered in the reader's language

    def __str__(self) -> str:
        return f"{self.code} {self.sheet}, row {self.row}, column {self.column}: {self.message}"


def checker_message(code: str, name: str) -> Any:
    """A checker's problem with the question *name*, in words for the person with the file."""
    messages = {
        "C002": lambda: _l("A choice of %(name)s lacks its code or its label.", name=name),
        "C003": lambda: _l("The choice %(name)s is listed twice in its list.", name=name),
        "C005": lambda: _l("A choice of %(name)s needs a label in Danish and English.", name=name),
        "F008": lambda: _l("The question %(name)s needs a label in Danish and English.", name=name),
        "F011": lambda: _l("The name %(name)s is used by more than one question.", name=name),
        "F013": lambda: _l(
            "The question %(name)s names a choice list that is not there.", name=name
        ),
        "F014": lambda: _l("The condition of %(name)s cannot be read.", name=name),
        "F015": lambda: _l(
            "The condition of %(name)s names a question that is not in the form.", name=name
        ),
        "F016": lambda: _l(
            "%(name)s is a variable of the core dataset; a local question must have another name.",
            name=name,
        ),
        "F018": lambda: _l("The bounds of %(name)s do not fit the question.", name=name),
        "F023": lambda: _l(
            "The name %(name)s is not a lower-case identifier (a-z, 0-9 and _).", name=name
        ),
        "F027": lambda: _l("The condition of %(name)s refers to the question itself.", name=name),
    }
    said = messages.get(code)
    if said is not None:
        return said()
    return _l("The definition check refuses %(name)s (%(code)s).", name=name, code=code)
