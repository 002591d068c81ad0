"""Checking answers against a definition: the one implementation for pages and the API.

Input may be raw strings from an HTML form or typed JSON values; both are parsed to the
stored representation (codes, ISO dates, numbers, booleans) by the field's type (see
:mod:`app.definitions.fields`). A field hidden by its
``show_if`` is neither required nor stored. Drafts skip "required" but never store a value
of the wrong type.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.checks import CheckContext, Fired, run_checks
from app.definitions.compute import apply_computations
from app.definitions.fields.parsing import InvalidAnswer
from app.definitions.model import FormDef

__all__ = ["Result", "validate_answers"]


@dataclass
class Result:
    answers: dict[str, Any]
    errors: dict[str, str]
    #: The form's data-quality checks that fire (run only when a context is given).
    fired: list[Fired] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(f.blocking for f in self.fired)


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def validate_answers(
    form: FormDef,
    raw: dict[str, Any],
    *,
    complete: bool,
    today: date,
    previous: dict[str, Any] | None = None,
    context: CheckContext | None = None,
    confirmed: set[str] | frozenset[str] = frozenset(),
) -> Result:
    """Parse and check *raw* against *form*.

    *previous* holds the answers already stored, so a code that has since lost its
    validity may stay on the answer that has it (but cannot be chosen anew). With a
    *context*, the form's checks run too, *confirmed* naming the warnings the user confirmed.
    """
    previous = previous or {}
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    input_fields = [f for f in form.fields if f.kind.input]
    unknown = set(raw) - {f.name for f in input_fields}
    for name in sorted(unknown):
        errors[name] = str(_l("This form has no such field."))
    for field in input_fields:
        value = raw.get(field.name)
        if _is_empty(value):
            continue
        keep = previous.get(field.name)
        keep_codes = keep if isinstance(keep, list) else ([keep] if isinstance(keep, str) else [])
        try:
            parsed[field.name] = field.kind.parse(field, value, form, today, keep_codes)
        except InvalidAnswer as exc:
            errors[field.name] = str(exc.message)

    # Visibility is decided on the parsed answers, in order, so a chain of conditions works
    # and a hidden field neither counts as missing nor is stored.
    answers: dict[str, Any] = {}
    for field in input_fields:
        if not field.visible(parsed):
            parsed.pop(field.name, None)
            errors.pop(field.name, None)
            continue
        if field.name in parsed:
            answers[field.name] = parsed[field.name]
        elif complete and field.required and field.name not in errors:
            errors[field.name] = str(_l("Answer this question."))
    answers = apply_computations(form.fields, answers)
    if context is None:
        return Result(answers, errors)
    fired = run_checks(form.checks, answers, context, complete=complete, confirmed=confirmed)
    return Result(answers, errors, fired)
