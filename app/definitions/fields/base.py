"""What every field type answers for: the base class of the registry in this package.

A field type is asked about a field of a definition (a :class:`~app.definitions.model.FieldDef`)
and knows, for answers of its kind, how the definition is checked, how the question is
rendered and read back, how an answer is shown, exported and classified for privacy, and
what a plausible answer looks like. The rest of the application asks the type and never
compares type names, so a new type is one class here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField

from app.definitions.bilingual import pick
from app.definitions.fields.parsing import InvalidAnswer

if TYPE_CHECKING:
    from app.definitions.model import FieldDef, FormDef

#: Privacy classes. Identifying answers never leave in a research package; free text
#: leaves only under a grant that allows it, and both are removed when data is purged.
IDENTIFYING = "identifying"
FREE_TEXT = "free_text"

#: The widgets the definition-field template knows (``collection/_definition_field.html``).
WIDGETS = ("plain", "choices", "computed")

#: ``report(code, message)``: one problem of the field being checked.
Report = Callable[[str, str], None]


class FieldType:
    """One kind of question. Subclasses set the class attributes and override what differs."""

    #: The name a definition uses (``type: integer``).
    name: ClassVar[str]
    #: The JSON type of the stored answer, as the API describes it.
    storage: ClassVar[str]
    #: The Table Schema type of its column in a research package.
    export_type: ClassVar[str]
    #: What an exported number means, added to the column's description ("" for none).
    export_unit: ClassVar[str] = ""
    #: The answer is one or more codes of the field's code list.
    needs_codelist: ClassVar[bool] = False
    #: The answer is a list (of codes).
    multiple: ClassVar[bool] = False
    #: ``min``/``max`` apply (to the value, or for text to its length).
    bounded: ClassVar[bool] = False
    #: Staff answer it; a computed field is filled in from the others.
    input: ClassVar[bool] = True
    #: The privacy class of every answer of this type, whatever the definition says.
    privacy: ClassVar[str | None] = None
    #: How the template renders the question (one of :data:`WIDGETS`).
    widget: ClassVar[str] = "plain"
    #: What a data-quality check may compare the answer with (app.definitions.checks):
    #: "number", "day", "truth", "words", "code" or "codes".
    compared_as: ClassVar[str] = "any"
    #: The column of ``answer_value`` (app.collection.typed) an answer is kept in at write
    #: time, so readers by variable never parse JSON: "number", "text", "day" or "flag".
    stored_in: ClassVar[str]

    # -- the definition ---------------------------------------------------------------------

    def check(
        self,
        item: dict[str, Any],
        *,
        names: list[str],
        low: float | None,
        high: float | None,
        report: Report,
    ) -> None:
        """Checks only this type makes of a field's definition; *low*/*high* are resolved."""

    def privacy_of(self, field: FieldDef) -> str | None:
        if field.identifying:
            return IDENTIFYING
        if field.free_text or self.privacy == FREE_TEXT:
            return FREE_TEXT
        return self.privacy

    # -- the page ---------------------------------------------------------------------------

    def wtforms_field(
        self,
        field: FieldDef,
        form: FormDef,
        language: str,
        today: date,
        previous: dict[str, Any],
        options: dict[str, Any],
    ) -> Field:
        """The WTForms field that carries the answer; *options* has the label and render_kw."""
        return StringField(**options)

    def widget_for(self, compiled: Field) -> str:
        """The widget for the compiled field (a long code list becomes a drop-down)."""
        return self.widget

    def to_formdata(self, value: Any, language: str) -> Any:
        """A stored answer as the string (or list) the form field shows."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return value
        return str(value)

    def read_typed(self, raw: Any) -> Any:
        """What someone typed as the stored value, if it reads as one, else None; for
        showing unsaved input in the same words as a saved answer."""
        return None

    # -- answers ----------------------------------------------------------------------------

    def parse(self, field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
        """The stored value of a non-empty *raw*; raises :class:`InvalidAnswer`."""
        raise InvalidAnswer(_l("This field cannot be answered."))

    def display(self, form: FormDef, field: FieldDef, value: Any, language: str) -> str:
        """A non-empty answer as a person reads it, with the labels of its snapshot."""
        if field.codelist and field.codelist in form.codelists:
            codelist = form.codelists[field.codelist]
            codes = value if isinstance(value, list) else [value]
            return "; ".join(codelist.label(c, language) for c in codes)
        if isinstance(value, bool):
            return str(_l("Yes") if value else _l("No"))
        return f"{self.display_text(field, value, language)} {pick(field.unit, language)}".strip()

    def display_text(self, field: FieldDef, value: Any, language: str) -> str:
        return str(value)

    def export_cell(self, value: Any, enrolment: date) -> Any:
        """A non-empty answer as a cell of the research package."""
        return value

    def typed_value(self, value: Any) -> Any:
        """A non-empty stored answer as the value of its :attr:`stored_in` column."""
        return value

    def answer_of_size(self, size: float) -> Any:
        """An answer whose size, as ``min``/``max`` bound it, is *size*: for tests of bounds."""
        return size

    def sample(self, field: FieldDef, form: FormDef, today: date) -> Any:
        """A plausible stored answer that satisfies the field: for tests and load runs."""
        return None
