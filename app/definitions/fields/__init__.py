"""The registry of field types: every kind of question a definition may ask.

A definition names a type (``type: integer``); :func:`get_field_type` gives the object that
checks, renders, parses, shows, exports and classifies answers of it (see
:class:`~app.definitions.fields.base.FieldType`). A new type is a class in this package and
one entry below; nothing outside this package compares type names.
"""

from __future__ import annotations

from app.definitions.fields.base import FREE_TEXT, IDENTIFYING, WIDGETS, FieldType
from app.definitions.fields.choices import Boolean, MultipleChoice, SingleChoice
from app.definitions.fields.computed import Computed
from app.definitions.fields.dates import Date
from app.definitions.fields.numbers import Decimal, Integer, Scale
from app.definitions.fields.text import Text, Textarea

__all__ = ["FIELD_TYPES", "FREE_TEXT", "IDENTIFYING", "WIDGETS", "FieldType", "get_field_type"]

#: Every field type by its name, in the order the problem messages and the API list them.
FIELD_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        Text(),
        Textarea(),
        Integer(),
        Decimal(),
        Date(),
        Boolean(),
        SingleChoice(),
        MultipleChoice(),
        Scale(),
        Computed(),
    )
}


def get_field_type(name: str) -> FieldType:
    """The type a definition names; a KeyError for a name the loader would have refused."""
    return FIELD_TYPES[name]
