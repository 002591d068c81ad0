"""Answers that keep to a form's data-quality checks, for the tests that need valid data."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.definitions.checks import CheckContext
from app.definitions.model import FormDef
from app.definitions.validation import validate_answers


def avoid_checks(form: FormDef, data: dict[str, Any], today: date) -> dict[str, Any]:
    """*data* without the optional answers a firing check is about (a measure ticked with
    no interventions, say): left blank, they contradict nothing. Checks on facts outside
    the form (``$intake_date``, the CPR number) depend on the save; see warning_ids."""
    for _ in form.checks:
        result = validate_answers(
            form, data, complete=True, today=today, context=CheckContext(today=today)
        )
        optional = {f.name for f in form.fields if not f.required}
        dropped = {n for fired in result.fired for n in fired.check.fields if n in optional}
        if not dropped:
            break
        data = {k: v for k, v in data.items() if k not in dropped}
    return data


def warning_ids(form: FormDef) -> list[str]:
    """Every warning of *form*, confirmed as a caseworker who has looked at them would."""
    return [c.id for c in form.checks if c.severity == "warning"]
