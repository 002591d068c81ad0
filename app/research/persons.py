"""The research package's key tables: one row per family and one per person.

``family_index.csv`` and ``persons.csv`` carry what does not change from wave to wave, so a
researcher need not merge the intake rows into every follow-up: the family's municipality,
team model and enrolment, and each person's level, family, birth year and sex, with the
family's household type beside them. The attributes are the intake answers (the forms that
ask them at the intake wave, whichever level), read under the same scope as the wave tables:
an intake not approved or not granted leaves them empty, and one a level never asks (a
child's sex) is ``NV``. Every family and person of the wave tables is here, so the
``datapackage.json`` declares the wave tables' ids as foreign keys into these two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, select

from app.collection.models import Submission
from app.core.db import db
from app.families.models import Family, Member, Wave
from app.research.rows import Selection, batch_size
from app.research.variables import (
    LEVEL_TABLES,
    MISSING_VALUES,
    NOT_IN_VERSION,
    Pseudonyms,
    Variable,
)
from app.tenancy.models import TEAM_MODELS, Municipality

FAMILY_FILE = "family_index.csv"
PERSONS_FILE = "persons.csv"

#: The time-invariant answers each person's row carries, in this order.
ATTRIBUTES = ("birth_year", "sex", "household_type")

_TEAM_MODELS = list(TEAM_MODELS)

FAMILY_FIELDS: list[dict[str, Any]] = [
    {
        "name": "family_id",
        "type": "string",
        "description": "Pseudonymous family id (per study)",
        "constraints": {"required": True, "unique": True},
    },
    {"name": "municipality_code", "type": "string", "description": "Municipality code"},
    {
        "name": "team_model",
        "type": "string",
        "description": "The family's team model",
        "constraints": {"enum": _TEAM_MODELS},
    },
    {"name": "enrolment_year", "type": "integer", "description": "Year of enrolment"},
    {
        "name": "enrolment_quarter",
        "type": "integer",
        "description": "Quarter of enrolment",
        "constraints": {"minimum": 1, "maximum": 4},
    },
]

PERSON_KEYS: list[dict[str, Any]] = [
    {
        "name": "person_id",
        "type": "string",
        "description": "Pseudonymous person id (per study)",
        "constraints": {"required": True, "unique": True},
    },
    {
        "name": "level",
        "type": "string",
        "description": "adult or child",
        "constraints": {"enum": ["adult", "child"]},
    },
    {
        "name": "family_id",
        "type": "string",
        "description": "Pseudonymous family id (per study)",
        "constraints": {"required": True},
    },
    {"name": "municipality_code", "type": "string", "description": "Municipality code"},
    {
        "name": "team_model",
        "type": "string",
        "description": "The family's team model",
        "constraints": {"enum": _TEAM_MODELS},
    },
]


@dataclass
class Attribute:
    """One time-invariant answer: its variable and the intake forms that ask it."""

    variable: Variable
    forms: list[str]
    #: The levels whose intake asks it: a person of another level gets NV.
    levels: set[str]


def attributes(tables: dict[str, list[Variable]]) -> list[Attribute]:
    """:data:`ATTRIBUTES` as the core tables' variables have them, with their intake forms."""
    found: dict[str, Attribute] = {}
    for level, table in LEVEL_TABLES.items():
        for variable in tables.get(table, []):
            if variable.name not in ATTRIBUTES or variable.source is None:
                continue
            forms = [f for f in variable.forms if f.endswith("_intake")]
            if not forms:
                continue
            attribute = found.setdefault(variable.name, Attribute(variable, [], set()))
            attribute.forms += [f for f in forms if f not in attribute.forms]
            attribute.levels.add(level)
    return [found[name] for name in ATTRIBUTES if name in found]


_READERS: dict[str, Callable[[Any], ColumnElement[Any]]] = {
    "integer": lambda element: element.as_integer(),
    "string": lambda element: element.as_string(),
}


def _answers(selection: Selection, attribute: Attribute) -> Subquery:
    """The attribute's intake answer per person (or per family, for a family's form).

    A derived table joined once, not a subquery per person: SQLite ran that one as a scan
    of the waves for every person. A person answers one intake form once, so ``max`` only
    gives the one value a row (the attributes are numbers and codes, never booleans).
    """
    scope = selection.scope
    element = Submission.answers[attribute.variable.name]
    # The answer as its column's Table Schema type reads it (a code is a string).
    typed = _READERS.get(attribute.variable.type, _READERS["string"])(element)
    per_family = not attribute.levels - {"family"}
    subject = Submission.family_id if per_family else Submission.member_id
    return (
        select(subject.label("subject"), func.max(typed).label("value"))
        .join(Wave, Wave.id == Submission.wave_id)
        .where(
            Submission.member_id.is_(None) if per_family else Submission.member_id.is_not(None),
            Submission.form_id.in_(attribute.forms),
            Submission.status == "submitted",
            scope.waves(),
            scope.forms(),
        )
        .group_by(subject)
        .subquery()
    )


def family_table(selection: Selection) -> tuple[Any, ...]:
    """``emit``'s arguments for :data:`FAMILY_FILE`."""
    return (
        FAMILY_FILE,
        [f["name"] for f in FAMILY_FIELDS],
        _family_rows(selection),
        {"fields": [dict(f) for f in FAMILY_FIELDS], "missingValues": MISSING_VALUES},
        "One row per family: the key the other tables' family_id refers to",
    )


def _family_rows(selection: Selection) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    statement = (
        select(
            Family.id,
            Family.municipality_id,
            Family.enrolment_date,
            Family.team_model,
            Municipality.code,
        )
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(selection.scope.families())
        .order_by(Family.id)
        .execution_options(yield_per=batch_size())
    )
    for row in db.session.execute(statement):
        yield (
            row.municipality_id,
            [
                key("family", row.id),
                row.code,
                row.team_model,
                row.enrolment_date.year,
                (row.enrolment_date.month - 1) // 3 + 1,
            ],
        )


def persons_table(selection: Selection, tables: dict[str, list[Variable]]) -> tuple[Any, ...]:
    """``emit``'s arguments for :data:`PERSONS_FILE`."""
    chosen = attributes(tables)
    fields = [dict(f) for f in PERSON_KEYS]
    for attribute in chosen:
        variable = attribute.variable
        entry: dict[str, Any] = {
            "name": variable.name,
            "type": variable.type,
            "description": f"{variable.description} (intake: {', '.join(attribute.forms)})",
        }
        if variable.codes:
            entry["constraints"] = {"enum": list(variable.codes)}
        fields.append(entry)
    return (
        PERSONS_FILE,
        [f["name"] for f in fields],
        _person_rows(selection, chosen),
        {"fields": fields, "missingValues": MISSING_VALUES},
        "One row per person: level, family and the answers of the intake that do not change",
    )


def _person_rows(selection: Selection, chosen: list[Attribute]) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    # One statement: each person with each attribute's answers joined as a derived table.
    answers = [_answers(selection, a) for a in chosen]
    statement = select(
        Member.id,
        Member.family_id,
        Member.role,
        Family.municipality_id,
        Family.team_model,
        Municipality.code,
        *(answer.c.value for answer in answers),
    ).select_from(Member)
    for attribute, answer in zip(chosen, answers, strict=True):
        subject = Member.id if attribute.levels - {"family"} else Member.family_id
        statement = statement.outerjoin(answer, answer.c.subject == subject)
    statement = (
        statement.join(Family, Family.id == Member.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(selection.scope.families())
        .order_by(Member.family_id, Member.id)
        .execution_options(yield_per=batch_size())
    )
    for row in db.session.execute(statement):
        cells: list[Any] = [
            key("person", row.id),
            row.role,
            key("family", row.family_id),
            row.code,
            row.team_model,
        ]
        for i, attribute in enumerate(chosen):
            if attribute.levels.isdisjoint({row.role, "family"}):
                cells.append(NOT_IN_VERSION)
            else:
                cells.append(row[6 + i])
        yield row.municipality_id, cells
