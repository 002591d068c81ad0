"""The typed answers held against the JSON they copy, over every submission there is.

:func:`typed_differences` reads both sides of every municipality and gives what one side
has and the other lacks, so a test asserts it is empty and a failure names the submission,
the field and both values. The expected row is worked out here from the stored JSON and
the field type's column, without :func:`app.collection.typed.typed_rows`: a mistake there
shows up as a difference instead of being repeated on both sides.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.collection.models import Submission
from app.collection.typed import VALUE_COLUMNS, AnswerValue
from app.core.db import db
from app.definitions.fields import FieldType
from app.tenancy.scoping import unscoped

#: The Python type each value column gives back.
COLUMN_TYPES = {"number": float, "text": str, "day": date, "flag": bool}


def expected_value(kind: FieldType, value: Any) -> Any:
    """What *value* (a stored JSON answer) should read as in its column."""
    if kind.stored_in == "number":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), value
        return float(value)
    if kind.stored_in == "day":
        return date.fromisoformat(value)
    if kind.stored_in == "flag":
        assert isinstance(value, bool), value
        return value
    # Codes, joined codes and words: the same text as the research package's cell.
    return kind.export_cell(value, date.today())


def typed_differences() -> list[tuple[str, tuple[int, str], tuple[Any, ...]]]:
    """("only typed" | "only JSON", (submission id, name), (municipality, *values)) for every
    row that is not what the JSON says; empty when both agree everywhere."""
    with unscoped("test: typed answers against their JSON"):
        table = AnswerValue.__table__
        typed = {
            (row.submission_id, row.name): (
                row.municipality_id,
                *(row._mapping[c] for c in VALUE_COLUMNS),
            )
            for row in db.session.execute(select(table))
        }
        expected: dict[tuple[int, str], tuple[Any, ...]] = {}
        for submission in db.session.scalars(select(Submission)):
            form = submission.form_version.form
            for name, value in submission.answers.items():
                if value is None:
                    continue
                field = form.field(name)
                assert field is not None, (submission.form_id, name)
                cells = dict.fromkeys(VALUE_COLUMNS)
                cells[field.kind.stored_in] = expected_value(field.kind, value)
                expected[(submission.id, name)] = (submission.municipality_id, *cells.values())
    return sorted(
        [("only typed", key, value) for key, value in typed.items() if expected.get(key) != value]
        + [("only JSON", key, value) for key, value in expected.items() if typed.get(key) != value],
        key=repr,
    )


def typed_count() -> int:
    with unscoped("test: how many typed answers"):
        return len(db.session.execute(select(AnswerValue.name)).all())
