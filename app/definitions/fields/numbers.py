"""Numeric answers: whole numbers, decimals and scales (a whole number shown as points)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, RadioField, StringField
from wtforms.fields.choices import SelectChoice

from app.core.formatting import format_number
from app.definitions.bilingual import pick, text_ok
from app.definitions.fields.base import FieldType, Report
from app.definitions.fields.parsing import (
    InvalidAnswer,
    check_range,
    parse_decimal,
    parse_integer,
)

if TYPE_CHECKING:
    from app.definitions.model import FieldDef, FormDef


def _inside(value: float, low: float | None, high: float | None) -> float:
    """*value* moved inside the bounds: a sample that is plausible whatever they are."""
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


class Integer(FieldType):
    name = "integer"
    compared_as = "number"
    storage = "integer"
    export_type = "integer"
    bounded = True
    stored_in = "number"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        options["render_kw"]["inputmode"] = "numeric"
        return StringField(**options)

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        value = parse_integer(raw)
        if value is None:
            raise InvalidAnswer(_l("Write a whole number."))
        check_range(value, *field.bounds(today))
        return value

    def typed_value(self, value: Any) -> Any:
        return float(value)

    def answer_of_size(self, size: float) -> Any:
        return int(size)

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return int(_inside(1, *field.bounds(today)))


class Decimal(FieldType):
    name = "decimal"
    compared_as = "number"
    storage = "number"
    export_type = "number"
    bounded = True
    stored_in = "number"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        options["render_kw"]["inputmode"] = "decimal"
        return StringField(**options)

    def to_formdata(self, value: Any, language: str) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value:g}"
            return text.replace(".", ",") if language == "da" else text
        return super().to_formdata(value, language)

    def read_typed(self, raw: Any) -> Any:
        return parse_decimal(raw)

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        number = parse_decimal(raw)
        if number is None:
            raise InvalidAnswer(_l("Write a number, e.g. 4,5."))
        if field.decimals is not None and round(number, field.decimals) != number:
            raise InvalidAnswer(_l("Use at most %(n)s decimal(s).", n=field.decimals))
        check_range(number, *field.bounds(today))
        return number

    def display_text(self, field: FieldDef, value: Any, language: str) -> str:
        return format_number(value, language=language)

    def typed_value(self, value: Any) -> Any:
        return float(value)

    def answer_of_size(self, size: float) -> Any:
        return float(size)

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return float(_inside(1.5, *field.bounds(today)))


class Scale(Integer):
    """Points from ``min`` to ``max``, some with an anchor text (``0 – Aldrig``)."""

    name = "scale"
    widget = "choices"

    def check(
        self,
        item: dict[str, Any],
        *,
        names: list[str],
        low: float | None,
        high: float | None,
        report: Report,
    ) -> None:
        if not isinstance(low, int) or not isinstance(high, int):
            report("F024", "a scale needs whole-number min and max")
        anchors = item.get("anchors", {})
        if not isinstance(anchors, dict):
            report("F024", "anchors must map scale points to labels")
            return
        for point, label in anchors.items():
            if not isinstance(point, int) or (
                isinstance(low, int) and isinstance(high, int) and not low <= point <= high
            ):
                report("F024", f"anchor {point!r} is outside {low}-{high}")
            elif not text_ok(label):
                report("F008", f"anchor {point} needs da and en")

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        low, high = field.bounds(today)
        choices = []
        for point in range(int(low or 0), int(high or 0) + 1):
            anchor = field.anchors.get(point)
            text = f"{point} – {pick(anchor, language)}" if anchor else str(point)
            choices.append(SelectChoice(str(point), text))
        return RadioField(choices=choices, validate_choice=False, **options)

    def display(self, form: FormDef, field: FieldDef, value: Any, language: str) -> str:
        if not isinstance(value, bool) and int(value) in field.anchors:
            return f"{value} – {pick(field.anchors[int(value)], language)}"
        return super().display(form, field, value, language)
