"""The answer tables' wide rows, made by the database: one row per person (or family) and
wave, a column per variable, from the typed answers (:mod:`app.collection.typed`).

The submissions of a row are grouped (family, member, wave) and every variable is a
conditional aggregate over their ``answer_value`` rows. Which versions were answered
decides the missing-value codes, as the version 1 writer's merge did: a variable no
answered version asks is ``NV``; asked but unanswered is empty; free text without the
grant's leave is ``NS``; otherwise the answer in the package's notation
(:mod:`app.research.cells`). What leaves is the study's scope (:mod:`app.research.scope`).
If two forms of one row answered the same name, the largest value is taken (the core
forms of a level share no names).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, String, and_, case, cast, false, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.collection.models import FormVersion, Submission
from app.collection.typed import AnswerValue
from app.families.models import Family, Wave
from app.research import cells, modes, pseudonyms
from app.research.rows import Selection
from app.research.variables import NOT_IN_VERSION, NOT_SHARED, Variable
from app.tenancy.models import Municipality
from app.tenancy.scoping import scoped


def answers(
    selection: Selection,
    dialect: str,
    level: str,
    columns: list[Variable],
    versions: list[FormVersion],
    slug: str | None = None,
) -> tuple[Select[Any], Select[Any]]:
    """The rows of a level's core table (*slug* None) or of a municipality's local one,
    and how many each municipality has (a statement that reads no answers)."""
    scope = selection.scope
    ids = {f"{v.form_id}:{v.version}": v.id for v in versions}
    local = slug is not None
    joins = [pseudonyms.of("family", Submission.family_id, "pf")]
    family = joins[0][0]
    enrolment = func.max(Family.enrolment_date)
    free_text = func.max(case((scope.free_text(), 1), else_=0)) == 1
    keys: list[ColumnElement[Any]] = [func.max(family.c.value)]
    if level != "family":
        person, person_joined = pseudonyms.of("person", Submission.member_id, "pp")
        keys.append(func.max(person.c.value))
        joins.append((person, person_joined))
    enrolled = func.max(Family.enrolment_date)
    keys += [
        cells.text(dialect, func.max(Municipality.code)),
        func.max(Family.team_model),
        cast(cast(func.strftime("%Y", enrolled), Integer), String)
        if dialect == "sqlite"
        else cast(func.extract("year", enrolled), Integer),
        _quarter(dialect, enrolled),
        func.max(Wave.key),
        cells.months(dialect, enrolment, func.max(Wave.due_date)),
        _versions_cell(level, versions, local),
    ]
    values = [_column(dialect, v, ids, enrolment, free_text, local) for v in columns]
    level_versions = [v for v in versions if v.level == level and v.form.is_local == local]
    # One explicit join tree: two aliases of the pseudonym table leave the ORM's own
    # inference of a join's left side ambiguous.
    source = (
        Submission.__table__.join(
            FormVersion.__table__, FormVersion.id == Submission.form_version_id
        )
        .join(Wave.__table__, Wave.id == Submission.wave_id)
        .join(Family.__table__, Family.id == Submission.family_id)
        .join(Municipality.__table__, Municipality.id == Family.municipality_id)
    )
    for alias, condition in joins:
        source = source.join(alias, condition)
    groups = (
        select(Family.municipality_id)
        .select_from(source)
        .where(*_criteria(selection, level, local, slug))
        .group_by(Family.id, Submission.member_id, Wave.id, Family.municipality_id)
        .subquery()
    )
    counts = scoped(
        select(groups.c.municipality_id, func.count()).group_by(groups.c.municipality_id),
        Submission,
    )
    source = source.outerjoin(
        AnswerValue.__table__,
        and_(
            AnswerValue.submission_id == Submission.id,
            AnswerValue.municipality_id == Submission.municipality_id,
        ),
    )
    statement = (
        select(
            *keys,
            *values,
            _confirmed_cell(dialect, level_versions),
            *([] if local else modes.cells(level)),
            Family.municipality_id,
        )
        .select_from(source)
        .where(*_criteria(selection, level, local, slug))
        .group_by(Family.id, Submission.member_id, Wave.id, Family.municipality_id)
        .order_by(Family.id, Submission.member_id, func.max(Wave.due_date), Wave.id)
    )
    return scoped(statement, Submission, Wave, Family, Municipality), counts


def _criteria(
    selection: Selection, level: str, local: bool, slug: str | None
) -> list[ColumnElement[bool]]:
    """Which submissions a table's rows are made of: what the study may see of them."""
    scope = selection.scope
    criteria = [
        Submission.status == "submitted",
        FormVersion.level == level,
        scope.families(),
        scope.waves(),
        scope.forms(),
        Submission.form_id.contains(".") if local else ~Submission.form_id.contains("."),
    ]
    if slug is not None:
        criteria.append(Municipality.slug == slug)
    return criteria


def _quarter(dialect: str, day: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        month = cast(func.strftime("%m", day), Integer)
    else:
        month = cast(func.extract("month", day), Integer)
    return cast((month - 1) // 3 + 1, String)


def _column(
    dialect: str,
    variable: Variable,
    ids: dict[str, int],
    enrolment: ColumnElement[Any],
    free_text: ColumnElement[bool],
    local: bool,
) -> ColumnElement[Any]:
    assert variable.source is not None  # every answer column comes from a field
    kind = variable.source.kind
    name = variable.name.rsplit(".", 1)[-1] if "." in variable.name else variable.name
    # Whether a version of the row asks it, from one flag per version: both databases
    # compute an aggregate written the same way once, so the work per answer row is one
    # flag per version instead of one per column.
    asking = [ids[v] for v in variable.versions if v in ids]
    asked = or_(false(), *(_answered(version_id) == 1 for version_id in asking))
    stored = getattr(AnswerValue, kind.stored_in)
    if kind.stored_in == "flag":
        stored = cast(stored, Integer)
    # A core variable's forms are every core form of the level with the name (the columns
    # are planned from all of them), so its name alone picks its answers; a local one is
    # namespaced by its form.
    picks = AnswerValue.name == name
    if local:
        picks = and_(picks, Submission.form_id.in_(variable.forms))
    value = func.max(case((picks, stored)))
    if kind.stored_in == "number":
        cell = cells.number_of_kind(dialect, variable.type, value)
    elif kind.stored_in == "day":
        cell = cells.months(dialect, enrolment, value)
    elif kind.stored_in == "flag":
        cell = case((value == 1, "true"), else_="false")
    else:
        cell = cells.text(dialect, value)
    whens: list[Any] = [(~asked, NOT_IN_VERSION), (value.is_(None), None)]
    if variable.free_text:
        whens.append((~free_text, NOT_SHARED))
    return case(*whens, else_=cell)


def _answered(version_id: int) -> ColumnElement[Any]:
    """1 if a submission of the row answered the version, else 0."""
    return func.max(case((Submission.form_version_id == version_id, 1), else_=0))


def _joined(parts: list[ColumnElement[Any]], separator: str) -> ColumnElement[Any]:
    """The non-null *parts* joined by *separator* (NULL if none), on both databases."""
    if not parts:
        return literal(None, String)
    glued = func.coalesce(parts[0] + separator, "")
    for part in parts[1:]:
        glued = glued + func.coalesce(part + separator, "")
    return case(
        (glued == "", None), else_=func.substr(glued, 1, func.length(glued) - len(separator))
    )


def _versions_cell(level: str, versions: list[FormVersion], local: bool) -> ColumnElement[Any]:
    """``form:version; …`` of the row's submissions, in the order of their forms."""
    mine = sorted(
        (v for v in versions if v.level == level and v.form.is_local == local),
        key=lambda v: (v.form_id, v.version),
    )
    return _joined(
        [
            func.max(case((Submission.form_version_id == v.id, f"{v.form_id}:{v.version}")))
            for v in mine
        ],
        "; ",
    )


def _confirmed_cell(dialect: str, versions: list[FormVersion]) -> ColumnElement[Any]:
    """The confirmed warnings, ``form_id.check_id;…`` in the order of the forms."""
    forms = sorted({v.form_id for v in versions})
    elements = "jsonb_array_elements_text" if dialect == "postgresql" else "json_each"
    each = getattr(func, elements)(Submission.confirmed_checks).table_valued("value")
    aggregate = func.string_agg if dialect == "postgresql" else func.group_concat
    checks = (
        select(aggregate(Submission.form_id + "." + each.c.value, ";"))
        .select_from(each)
        .scalar_subquery()
    )
    per_form = [func.max(case((Submission.form_id == form, checks))) for form in forms]
    return _joined([func.nullif(p, "") for p in per_form], ";")
