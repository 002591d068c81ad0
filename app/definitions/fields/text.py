"""Text answers: one line (``text``) and several (``textarea``); both are free text."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import Field, TextAreaField

from app.definitions.fields.base import FREE_TEXT, FieldType
from app.definitions.fields.parsing import InvalidAnswer, number_text

if TYPE_CHECKING:
    from app.definitions.model import FieldDef, FormDef

#: Longest answers accepted, so one form cannot fill the database.
TEXT_LIMIT = 2000
TEXTAREA_LIMIT = 10000


class Text(FieldType):
    name = "text"
    compared_as = "words"
    storage = "string"
    export_type = "string"
    #: ``min``/``max`` bound the length.
    bounded = True
    #: Whatever the label says, a typed sentence can name someone.
    privacy = FREE_TEXT
    limit: ClassVar[int] = TEXT_LIMIT
    stored_in = "text"

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        if not isinstance(raw, str):
            raise InvalidAnswer(_l("Write text."))
        value = raw.strip()
        low, high = field.bounds(today)
        if len(value) > self.limit:
            raise InvalidAnswer(_l("Write at most %(n)s characters.", n=self.limit))
        if low is not None and len(value) < low:
            raise InvalidAnswer(_l("Write at least %(n)s characters.", n=number_text(low)))
        if high is not None and len(value) > high:
            raise InvalidAnswer(_l("Write at most %(n)s characters.", n=number_text(high)))
        if field.pattern and not re.fullmatch(field.pattern, value):
            raise InvalidAnswer(_l("The answer does not have the expected format."))
        return value

    def answer_of_size(self, size: float) -> Any:
        return "x" * int(size)

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        low, _high = field.bounds(today)
        text = "Et svar"
        return text.ljust(int(low), ".") if low is not None and len(text) < low else text


class Textarea(Text):
    name = "textarea"
    bounded = False
    limit = TEXTAREA_LIMIT

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        options["render_kw"]["rows"] = 4
        return TextAreaField(**options)
