"""Who answered a self-report instrument: the ``<instrument>_mode`` column of its level's
table (``who5_mode`` in adults.csv).

``self_report`` where the person answered the instrument's items themselves through a link
(app/selfreport), ``staff`` where its items were answered on the form by a member of staff,
empty where none of them was answered. A researcher can then compare or set apart scores
given on a parent's behalf. Appended after ``confirmed_warnings``, so no column moves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, case, cast, func
from sqlalchemy.sql.elements import ColumnElement

from app.collection.models import Submission
from app.collection.typed import AnswerValue
from app.definitions.instruments import MODES, SELF_REPORT, STAFF, Instrument, of_level
from app.research.variables import LEVEL_TABLES, NOT_ANSWERED, Variable


def instruments(level: str) -> list[Instrument]:
    return of_level(level)


def schema_fields(level: str) -> list[dict[str, Any]]:
    return [
        {
            "name": chosen.mode_column,
            "type": "string",
            "description": f"Who answered {chosen.title['en']}: self_report (the person "
            "themselves, through a link) or staff; empty if not answered / Hvem svarede",
            "constraints": {"enum": [SELF_REPORT, STAFF]},
        }
        for chosen in instruments(level)
    ]


def header(level: str) -> list[str]:
    return [chosen.mode_column for chosen in instruments(level)]


def variables() -> list[tuple[str, list[Variable]]]:
    """The columns for the codebooks, per table, with their codes' labels."""
    found = []
    for level, table in LEVEL_TABLES.items():
        columns = [
            Variable(
                name=chosen.mode_column,
                table=table,
                type="string",
                label={
                    "da": f"Hvem besvarede {chosen.title['da']}",
                    "en": f"Who answered {chosen.title['en']}",
                },
                codes={code: dict(labels) for code, labels in MODES.items()},
            )
            for chosen in instruments(level)
        ]
        if columns:
            found.append((table, columns))
    return found


def cells(level: str) -> list[ColumnElement[Any]]:
    """The mode cells of a row of the level's core table (grouped submissions, each
    joined to its typed answers)."""
    found = []
    for chosen in instruments(level):
        first = chosen.items[0]
        # The stored list is JSON text on both databases: '["who5_1", ...]'.
        own = func.max(
            case((cast(Submission.self_reported, String).like(f'%"{first}"%'), 1), else_=0)
        )
        answered = func.max(cast(case((AnswerValue.name.in_(chosen.items), 1), else_=0), Integer))
        found.append(case((own == 1, SELF_REPORT), (answered == 1, STAFF), else_=None))
    return found


def python_cells(level: str, parts: list[Any], answers: dict[str, Any]) -> list[str]:
    """The same cells from a row's submissions (*parts*) and merged *answers*."""
    found = []
    for chosen in instruments(level):
        own = any(chosen.items[0] in (p.self_reported or []) for p in parts)
        answered = any(answers.get(name) is not None for name in chosen.items)
        found.append(SELF_REPORT if own else STAFF if answered else NOT_ANSWERED)
    return found


def missed_cells(level: str) -> list[str]:
    """A wave recorded as not collected: nobody answered."""
    return [NOT_ANSWERED for _ in instruments(level)]
