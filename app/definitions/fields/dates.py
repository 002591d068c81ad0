"""Date answers: stored as ISO dates, exported as months since the family's enrolment."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField

from app.core.formatting import format_day
from app.definitions.fields.base import FieldType
from app.definitions.fields.parsing import InvalidAnswer, parse_date

if TYPE_CHECKING:
    from app.definitions.model import FieldDef, FormDef


def months_between(start: date, end: date) -> float:
    """Months from *start* to *end*, to one decimal: how a date leaves in a package."""
    return round((end - start).days / 30.4375, 1)


class Date(FieldType):
    name = "date"
    compared_as = "day"
    storage = "date"
    #: A calendar date could single a family out; the package gives the months instead.
    export_type = "number"
    export_unit = "months since enrolment"
    stored_in = "day"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        options["render_kw"]["type"] = "date"
        return StringField(**options)

    def to_formdata(self, value: Any, language: str) -> Any:
        # The date input takes and gives ISO dates, the stored form.
        return value

    def read_typed(self, raw: Any) -> Any:
        day = parse_date(raw)
        return day.isoformat() if day is not None else None

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        value = parse_date(raw)
        if value is None:
            raise InvalidAnswer(_l("Write a date as dd-mm-yyyy."))
        return value.isoformat()

    def display(self, form: FormDef, field: FieldDef, value: Any, language: str) -> str:
        return format_day(date.fromisoformat(value), "long", language)

    def typed_value(self, value: Any) -> Any:
        return date.fromisoformat(value)

    def export_cell(self, value: Any, enrolment: date) -> Any:
        return months_between(enrolment, date.fromisoformat(value))

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return today.isoformat()
