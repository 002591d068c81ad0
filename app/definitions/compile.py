"""One factory turns a form snapshot into a Flask-WTF form class in the user's language.

No view adds fields by hand. The WTForms fields only carry what the browser sends and
render it back; the checking is :func:`app.definitions.validation.validate_answers`, the
same function the API uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, HiddenField

from app.definitions.model import FieldDef, FormDef, pick
from app.definitions.validation import Result, validate_answers


class DefinitionForm(FlaskForm):
    """Base of every compiled form; subclasses are made by :func:`build_form_class`."""

    definition: FormDef
    language: str
    today: date
    previous: dict[str, Any]
    #: Fields the person answered themselves: shown as text, sent as they were stored.
    self_reported: frozenset[str] = frozenset()

    lock_version = HiddenField()

    def raw_answers(self) -> dict[str, Any]:
        return {
            f.name: self.previous.get(f.name) if f.name in self.self_reported else self[f.name].data
            for f in self.definition.fields
            if f.kind.input
        }

    def check(self, *, complete: bool) -> Result:
        """Validate the CSRF token and the answers; put messages on the fields."""
        csrf_ok = True
        if "csrf_token" in self._fields:
            csrf_ok = self.csrf_token.validate(self)
        result = validate_answers(
            self.definition,
            self.raw_answers(),
            complete=complete,
            today=self.today,
            previous=self.previous,
        )
        for name, message in result.errors.items():
            if name in self._fields:
                self[name].errors = [message]
        if not csrf_ok:
            result.errors["csrf_token"] = str(_l("The form expired; reload the page."))
        return result

    def field_defs(self) -> list[tuple[FieldDef, Field | None]]:
        return [(f, self._fields.get(f.name)) for f in self.definition.fields]


def build_form_class(
    form: FormDef,
    language: str,
    today: date,
    previous: dict[str, Any] | None = None,
    self_reported: Iterable[str] = (),
) -> type[DefinitionForm]:
    """A form class for *form* in *language*; codes outside their validity on *today* are
    offered only where *previous* answers already hold them. The *self_reported* fields
    get no input: the person answered them themselves (app/selfreport)."""
    previous = previous or {}
    locked = frozenset(self_reported)
    attributes: dict[str, Any] = {
        "definition": form,
        "language": language,
        "today": today,
        "previous": previous,
        "self_reported": locked,
    }
    for field in form.fields:
        if field.kind.input and field.name not in locked:
            attributes[field.name] = _wtforms_field(field, form, language, today, previous)
    return type(f"{form.form_id.replace('.', '_')}_v{form.version}", (DefinitionForm,), attributes)


def _wtforms_field(
    field: FieldDef, form: FormDef, language: str, today: date, previous: dict[str, Any]
) -> Field:
    options: dict[str, Any] = {"label": pick(field.label, language), "render_kw": {}}
    if field.required:
        options["render_kw"]["aria-required"] = "true"
    return field.kind.wtforms_field(field, form, language, today, previous, options)


def answers_to_formdata(form: FormDef, answers: dict[str, Any], language: str) -> dict[str, Any]:
    """Stored answers as the strings (and lists) the form fields show."""
    return {
        field.name: field.kind.to_formdata(answers[field.name], language)
        for field in form.fields
        if field.kind.input and field.name in answers
    }


def display_value(form: FormDef, field: FieldDef, value: Any, language: str) -> str:
    """An answer as a person reads it, with the labels of the snapshot it was given to."""
    if value is None or value == [] or value == "":
        return ""
    return field.kind.display(form, field, value, language)


def condition_attribute(field: FieldDef) -> Markup:
    """The parsed show_if for the browser, which evaluates the same tree as the server."""
    if field.condition is None:
        return Markup("")
    return Markup(f' data-show-if="{escape(json.dumps(field.condition))}"')


def describe_condition(form: FormDef, node: dict[str, Any], language: str) -> str:
    """A show_if in words, for readers without JavaScript: 'only if «…» is Yes'."""

    def name(field_name: str) -> str:
        field = form.field(field_name)
        return f"«{pick(field.label, language) if field else field_name}»"

    def value(field_name: str | None, literal: Any) -> str:
        field = form.field(field_name) if field_name else None
        if field is not None:
            return display_value(form, field, literal, language) or str(literal)
        return str(literal)

    def words(n: dict[str, Any]) -> str:
        if "field" in n:
            return str(_l("%(field)s is answered Yes", field=name(n["field"])))
        op = n.get("op")
        args = n.get("args", [])
        if op == "not" and "field" in args[0]:
            return str(_l("%(field)s is answered No", field=name(args[0]["field"])))
        if op == "not":
            return str(_l("it is not so that %(condition)s", condition=words(args[0])))
        if op in ("and", "or"):
            # Not inside an f-string: the message extractor would not see the words.
            joiner = " " + str(_l("and") if op == "and" else _l("or")) + " "
            return joiner.join(words(a) for a in args)
        if op in ("==", "!=", "<", "<=", ">", ">=", "in") and "field" in args[0]:
            field_name = args[0]["field"]
            right = args[1].get("value", args[1].get("list"))
            if op == "==":
                return str(
                    _l(
                        "%(field)s is %(value)s",
                        field=name(field_name),
                        value=value(field_name, right),
                    )
                )
            if op == "in":
                shown = ", ".join(value(field_name, v) for v in right)
                return str(
                    _l("%(field)s is one of: %(values)s", field=name(field_name), values=shown)
                )
            phrase = {
                "!=": _l("%(field)s is not %(value)s"),
                "<": _l("%(field)s is less than %(value)s"),
                "<=": _l("%(field)s is at most %(value)s"),
                ">": _l("%(field)s is more than %(value)s"),
                ">=": _l("%(field)s is at least %(value)s"),
            }[op]
            return str(phrase) % {"field": name(field_name), "value": value(field_name, right)}
        return json.dumps(n, ensure_ascii=False)

    return str(_l("Answer only if %(condition)s.", condition=words(node)))
