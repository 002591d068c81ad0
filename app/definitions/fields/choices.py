"""Answers chosen among options: yes/no, one code of a list, or several codes of a list."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.definitions.bilingual import pick
from app.definitions.fields.base import FieldType
from app.definitions.fields.parsing import InvalidAnswer

if TYPE_CHECKING:
    from app.definitions.model import FieldDef, FormDef

#: Up to this many options render as radio buttons; more as a drop-down list.
RADIO_LIMIT = 8

_TRUE = {"true", "1", "yes", "ja", "on"}
_FALSE = {"false", "0", "no", "nej", "off"}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Boolean(FieldType):
    name = "boolean"
    compared_as = "truth"
    storage = "boolean"
    export_type = "boolean"
    widget = "choices"
    stored_in = "flag"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        return RadioField(
            choices=[SelectChoice("true", _l("Yes")), SelectChoice("false", _l("No"))],
            validate_choice=False,
            **options,
        )

    def read_typed(self, raw: Any) -> Any:
        return {"true": True, "false": False}.get(raw) if isinstance(raw, str) else None

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise InvalidAnswer(_l("Choose yes or no."))

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return True


def _options(
    field: FieldDef, form: FormDef, language: str, today: date, previous: dict[str, Any]
) -> list[SelectChoice]:
    """The codes that may be chosen on *today*, and any the stored answer already holds."""
    kept = previous.get(field.name)
    keep = kept if isinstance(kept, list) else ([kept] if isinstance(kept, str) else [])
    codelist = form.codelists[field.codelist or ""]
    return [SelectChoice(c.code, pick(c.label, language)) for c in codelist.choosable(today, keep)]


def _choosable(field: FieldDef, form: FormDef, today: date, keep: list[str]) -> list[str]:
    codelist = form.codelists[field.codelist or ""]
    return [c.code for c in codelist.choosable(today, keep)]


class SingleChoice(FieldType):
    name = "single_choice"
    compared_as = "code"
    storage = "string"
    export_type = "string"
    needs_codelist = True
    widget = "choices"
    stored_in = "text"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        choices = _options(field, form, language, today, previous)
        if len(choices) <= RADIO_LIMIT:
            return RadioField(choices=choices, validate_choice=False, **options)
        return SelectField(
            choices=[SelectChoice("", _l("Choose …")), *choices], validate_choice=False, **options
        )

    def widget_for(self, compiled: Field) -> str:
        return self.widget if isinstance(compiled, RadioField) else "plain"

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        if not isinstance(raw, str) or raw not in _choosable(field, form, today, keep):
            raise InvalidAnswer(_l("Choose one of the options."))
        return raw

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return form.codelists[field.codelist or ""].choosable(today)[0].code


class MultipleChoice(FieldType):
    name = "multiple_choice"
    compared_as = "codes"
    storage = "array"
    #: The codes joined by ";" in one column.
    export_type = "string"
    needs_codelist = True
    multiple = True
    widget = "choices"
    #: The codes joined by ";", as the export's cell: one column holds every answer.
    stored_in = "text"

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        choices = _options(field, form, language, today, previous)
        return CheckboxesField(choices=choices, validate_choice=False, **options)

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        values = raw if isinstance(raw, list) else [raw]
        codes = _choosable(field, form, today, keep)
        if not all(isinstance(v, str) and v in codes for v in values):
            raise InvalidAnswer(_l("Choose only among the options."))
        # Stored in the code list's order, without duplicates.
        return [c for c in codes if c in values]

    def typed_value(self, value: Any) -> Any:
        return ";".join(value)

    def export_cell(self, value: Any, enrolment: date) -> Any:
        return ";".join(value)

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        return [form.codelists[field.codelist or ""].choosable(today)[0].code]
