"""The research package as version 1 wrote it: rows read in Python, merged per person and
wave, cells and pseudonyms made one at a time. Kept as the reference that
tests/test_package_sql.py holds the database-built package to, cell for cell; it is the
writer :mod:`app.research.package` replaced, and is not used by the application.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import IO, Any

from sqlalchemy import or_, select

from app.collection.models import FormVersion, Submission
from app.collection.services import expected_in_wave, submitted_in
from app.core import csvfile, dates
from app.core.db import db
from app.core.version import __version__
from app.definitions.loader import CORE_FORMS
from app.definitions.model import FieldDef, pick
from app.families.models import Family, Wave
from app.plans.models import GOAL_STATUSES, Goal, GoalStatus, Plan
from app.research import aggregates, confirmations, modes, windows
from app.research.confirmations import confirmed_cell
from app.research.models import Study
from app.research.rows import Selection, batch_size, selection_for
from app.research.variables import (
    LEVEL_TABLES,
    MISSED_CODE_TEXTS,
    MISSED_CODES,
    MISSING_VALUES,
    NOT_ANSWERED,
    NOT_IN_VERSION,
    NOT_SHARED,
    Pseudonyms,
    Variable,
    months_between,
    plan_variables,
)
from app.tenancy.models import Department, Municipality

# -- writing ----------------------------------------------------------------------------------


class _HashingWriter(io.RawIOBase):
    """Counts and hashes what passes into a zip member."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        return self.target.write(data)


@dataclass
class PackageResult:
    path: Path
    checksum: str
    row_counts: dict[int, dict[str, int]]
    files: dict[str, str]


def write_package_v1(
    study: Study, out: Path, *, progress: Callable[[str, int], None] | None = None
) -> PackageResult:
    """Write the study's package to *out*. The caller has crossed the tenant boundary."""
    selection = selection_for(study)
    versions = list(db.session.scalars(select(FormVersion).order_by(FormVersion.id)))
    core = [v for v in versions if v.form_id in CORE_FORMS]
    tables = plan_variables(core)
    local_tables: dict[str, list[Variable]] = {}
    for municipality in selection.municipalities.values():
        enabled = set(municipality.settings.get("local_forms", []))
        mine = [v for v in versions if v.form_id in enabled]
        for table, columns in plan_variables(mine).items():
            if columns:
                local_tables[f"{table}_{municipality.slug}"] = columns
    counts: dict[int, dict[str, int]] = {m: {} for m in selection.municipalities}
    files: dict[str, str] = {}
    resources: list[dict[str, Any]] = []

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def emit(
            name: str,
            header: list[str],
            rows: Iterator[tuple[int, list[Any]]],
            schema: dict[str, Any],
            description: str,
        ) -> None:
            with archive.open(name, "w") as member:
                hashing = _HashingWriter(member)
                text = io.TextIOWrapper(hashing, encoding="utf-8", newline="")  # type: ignore[arg-type]
                writer = csvfile.writer(text)
                writer.writerow(header)
                every = batch_size()
                for written, (municipality_id, row) in enumerate(rows, 1):
                    writer.writerow([_cell(value) for value in row])
                    table_counts = counts.setdefault(municipality_id, {})
                    table_counts[name] = table_counts.get(name, 0) + 1
                    if progress and written % every == 0:
                        progress(name, written)
                text.flush()
                text.detach()
            files[name] = hashing.sha256.hexdigest()
            resources.append(
                {
                    "name": name.removesuffix(".csv").replace("_", "-"),
                    "path": name,
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": csvfile.MEDIA_TYPE,
                    "encoding": "utf-8",
                    "description": description,
                    "schema": schema,
                }
            )

        for level, table in LEVEL_TABLES.items():
            columns = tables[table]
            keys = _key_fields(level)
            emit(
                f"{table}.csv",
                [k["name"] for k in keys]
                + [v.name for v in columns]
                + [confirmations.COLUMN, *modes.header(level)],
                chain(
                    _answer_rows(selection, level, {None: columns}),
                    missed_rows(selection, level, columns),
                ),
                _schema(keys, columns, confirmations.SCHEMA_FIELD, *modes.schema_fields(level)),
                f"One row per {level if level != 'family' else 'family'} and wave",
            )
        for name, columns in local_tables.items():
            level = next(lv for lv, t in LEVEL_TABLES.items() if name.startswith(t))
            slug = name.rsplit("_", 1)[1]
            keys = _key_fields(level)
            emit(
                f"{name}.csv",
                [k["name"] for k in keys] + [v.name for v in columns] + [confirmations.COLUMN],
                _answer_rows(selection, level, {slug: columns}, local=True),
                _schema(keys, columns, confirmations.SCHEMA_FIELD),
                f"Local questions of {slug}",
            )
        emit(
            "plan_goals.csv",
            [f["name"] for f in _PLAN_FIELDS],
            _plan_rows(selection),
            _schema(_PLAN_FIELDS, []),
            "Joint-plan goals and their status at each follow-up",
        )
        emit(
            "waves.csv",
            [f["name"] for f in _WAVE_FIELDS],
            _wave_rows(selection),
            _schema(_WAVE_FIELDS, []),
            "Every approved wave: due, completed, on time",
        )
        # Aggregates of the same selection, under the study's disclosure control.
        figures = aggregates.current()
        k = figures.threshold(study)
        emit(
            "indicators.csv",
            figures.header,
            iter((next(iter(selection.municipalities), 0), row) for row in figures.rows(study)),
            _schema(_INDICATOR_FIELDS, []),
            "Evaluation indicators per municipality, team model and pooled "
            f"(docs/indicators.md). Disclosure control, k = {k}: {figures.rule_text(k, 'en')}",
        )
        codebook_rows = list(_codebook(tables, local_tables))
        emit(
            "codebook.csv",
            [f["name"] for f in _CODEBOOK_FIELDS],
            iter((next(iter(selection.municipalities), 0), row) for row in codebook_rows),
            _schema(_CODEBOOK_FIELDS, []),
            "Every variable: labels, type, codes, forms, versions",
        )
        emit(
            confirmations.CODEBOOK_FILE,
            [f["name"] for f in confirmations.CODEBOOK_FIELDS],
            iter(
                (next(iter(selection.municipalities), 0), row)
                for row in confirmations.codebook_rows(versions, selection.municipalities.values())
            ),
            _schema(confirmations.CODEBOOK_FIELDS, []),
            "Every data-quality check of the forms: condition, severity, message",
        )
        # The codebook is not data of a municipality: keep it out of the per-municipality counts.
        for table_counts in counts.values():
            table_counts.pop("codebook.csv", None)
            table_counts.pop(confirmations.CODEBOOK_FILE, None)
            table_counts.pop("indicators.csv", None)
        # Without a grant those two were counted under no municipality (id 0): there is
        # nothing to record for it, and an export record of it could not be stored.
        for municipality_id in set(counts) - set(selection.municipalities):
            del counts[municipality_id]

        extracted = datetime.now(UTC).replace(microsecond=0)
        package = {
            "name": f"helhed-study-{study.id}",
            "title": study.title,
            "profile": "tabular-data-package",
            "created": extracted.isoformat(),
            "licenses": [{"name": "other-closed", "title": "Restricted: see README.md"}],
            "sources": [{"title": f"Helhed {__version__}"}],
            "resources": resources,
        }
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
        archive.writestr("README.md", _readme(selection, extracted, files, counts, k))

    checksum = hashlib.sha256(out.read_bytes()).hexdigest()
    return PackageResult(out, checksum, counts, files)


def _cell(value: Any) -> Any:
    """A value in the package's notation; the writer neutralises it. Runs for every cell."""
    kind = type(value)
    if kind is str or kind is int:
        return value
    if value is None:
        return NOT_ANSWERED
    if kind is bool:
        return "true" if value else "false"  # Table Schema's booleans
    if kind is float:
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


# -- the tables ---------------------------------------------------------------------------------

_TEAM_MODELS = ["coordinator", "family_team", "single_entry"]


def _key_fields(level: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = [
        {
            "name": "family_id",
            "type": "string",
            "description": "Pseudonymous family id (per study)",
            "constraints": {"required": True},
        },
    ]
    if level != "family":
        keys.append(
            {
                "name": "person_id",
                "type": "string",
                "description": "Pseudonymous person id (per study)",
                "constraints": {"required": True},
            }
        )
    keys += [
        {
            "name": "municipality_code",
            "type": "string",
            "description": "Danmarks Statistik municipality code",
        },
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
        {"name": "wave", "type": "string", "description": "intake, follow_up_<months> or exit"},
        {
            "name": "wave_month",
            "type": "number",
            "description": "Months from enrolment to the wave's due date",
        },
        {
            "name": "form_versions",
            "type": "string",
            "description": "The form versions answered in this row (form:version; …)",
        },
    ]
    return keys


#: The covariates every family-level table starts with.
_FAMILY_COVARIATES = [
    {"name": "family_id", "type": "string", "description": "Pseudonymous family id"},
    {"name": "municipality_code", "type": "string", "description": "Municipality code"},
    {
        "name": "team_model",
        "type": "string",
        "description": "The family's team model",
        "constraints": {"enum": _TEAM_MODELS},
    },
]
_PLAN_FIELDS = [
    *_FAMILY_COVARIATES,
    {"name": "goal_id", "type": "string", "description": "Pseudonymous goal id"},
    {"name": "phase", "type": "integer", "description": "Phase of the plan"},
    {"name": "life_area", "type": "string", "description": "Life area of the goal"},
    {"name": "responsible_department", "type": "string", "description": "Department code"},
    {
        "name": "description",
        "type": "string",
        "description": "The goal in words (free text: NS unless the grant allows it)",
    },
    {"name": "wave", "type": "string", "description": "Follow-up the status was recorded at"},
    {
        "name": "status",
        "type": "string",
        "description": "Status of the goal at that wave",
        "constraints": {"enum": list(GOAL_STATUSES)},
    },
    # Appended: no column above moves. A deleted goal keeps its rows and statuses.
    {"name": "goal_deleted", "type": "boolean", "description": "Taken off the plan later"},
]
_INDICATOR_FIELDS = [
    {"name": "indicator", "type": "string", "description": "Indicator id (docs/indicators.md)"},
    {"name": "kind", "type": "string", "constraints": {"enum": ["count", "rate", "mean"]}},
    {"name": "unit", "type": "string", "description": "families, adults, children or waves"},
    {
        "name": "group_type",
        "type": "string",
        "constraints": {"enum": ["municipality", "team_model", "pooled"]},
    },
    {"name": "group", "type": "string", "description": "DST code, team model, or 'all'"},
    {"name": "team_model", "type": "string", "description": "The municipality's team model"},
    {"name": "n", "type": "integer", "description": "People the figure is based on"},
    {"name": "value", "type": "number", "description": "Count, share in percent, or mean"},
    {
        "name": "status",
        "type": "string",
        "constraints": {"enum": ["shown", "suppressed", "no_data"]},
    },
    {"name": "k", "type": "integer", "description": "Disclosure-control threshold"},
    {"name": "rule", "type": "string", "description": "The disclosure-control rule applied"},
]

_WAVE_FIELDS = [
    *_FAMILY_COVARIATES,
    {"name": "wave", "type": "string", "description": "intake, follow_up_<months> or exit"},
    {"name": "due_month", "type": "number", "description": "Months from enrolment to due date"},
    {"name": "completed", "type": "boolean", "description": "Every core form submitted"},
    {
        "name": "on_time",
        "type": "boolean",
        "description": "Completed within the wave's window (empty if not completed)",
    },
    *windows.FIELDS,
]
_CODEBOOK_FIELDS = [
    {"name": "variable", "type": "string", "description": "Column name"},
    {"name": "table", "type": "string", "description": "File the column is in"},
    {"name": "label_da", "type": "string", "description": "Label in Danish"},
    {"name": "label_en", "type": "string", "description": "Label in English"},
    {"name": "type", "type": "string", "description": "Table Schema type"},
    {"name": "codes", "type": "string", "description": "code = Danish / English label; …"},
    {"name": "forms", "type": "string", "description": "Forms that ask it"},
    {"name": "versions", "type": "string", "description": "form:version in which it exists"},
]


def _schema(
    keys: list[dict[str, Any]], columns: list[Variable], *last: dict[str, Any]
) -> dict[str, Any]:
    fields = [dict(k) for k in keys]
    for variable in columns:
        entry: dict[str, Any] = {
            "name": variable.name,
            "type": variable.type,
            "description": variable.description,
        }
        if variable.codes and not variable.multiple:
            entry["constraints"] = {"enum": list(variable.codes)}
        if variable.source is not None and variable.source.kind.export_unit:
            entry["description"] += f" ({variable.source.kind.export_unit})"
        fields.append(entry)
    fields += [dict(f) for f in last]
    return {"fields": fields, "missingValues": MISSING_VALUES}


def _codebook(
    tables: dict[str, list[Variable]], local: dict[str, list[Variable]]
) -> Iterator[list[Any]]:
    every = [*tables.items(), *local.items(), (windows.TABLE, windows.variables())]
    for table, columns in [*every, *modes.variables()]:
        for variable in columns:
            codes = "; ".join(
                f"{code} = {label.get('da', '')} / {label.get('en', '')}"
                for code, label in variable.codes.items()
            )
            yield [
                variable.name,
                f"{table}.csv",
                pick(variable.label, "da"),
                pick(variable.label, "en"),
                variable.type,
                codes,
                ", ".join(variable.forms),
                ", ".join(variable.versions),
            ]


def _readme(
    selection: Selection,
    extracted: datetime,
    files: dict[str, str],
    counts: dict[int, dict[str, int]],
    k: int,
) -> str:
    study = selection.study
    lines = [
        f"# {study.title}",
        "",
        "A pseudonymised research data package from Helhed, a Frictionless Data Package: "
        "load `datapackage.json` with any Frictionless tool.",
        "",
        "## Provenance",
        "",
        f"- Software: Helhed {__version__}",
        f"- Study: {study.id} – {study.title}",
        f"- Legal basis: {study.legal_basis}",
        f"- Extracted: {extracted.isoformat()}",
        "",
        "## Municipalities and filters",
        "",
    ]
    for municipality_id, grant in sorted(selection.grants.items()):
        municipality = selection.municipalities[municipality_id]
        approved = grant.approved_waves
        lines.append(
            f"- {municipality.code} {municipality.name_en}: forms {', '.join(grant.forms)}; "
            f"waves {', '.join(grant.waves)}; approved waves {', '.join(approved) or 'none'}; "
            f"enrolled {grant.period_from or 'any time'} – {grant.period_to or 'any time'}; "
            f"free text {'included' if grant.free_text else 'withheld'}; "
            f"rows {json.dumps(counts.get(municipality_id, {}), sort_keys=True)}"
        )
    lines += [
        "",
        "## Privacy",
        "",
        "- Family, person and goal ids are keyed pseudonyms of this study: stable across "
        "its exports, unrelated to any other study's.",
        "- Names, CPR numbers and other identifying fields are never included. Dates are "
        "months since the family's enrolment; enrolment itself is year and quarter.",
        "- Families without research consent are left out; only waves the municipality has "
        "approved are included.",
        f"- Disclosure control: the tables hold records, not aggregates. Any count "
        f"published from them must suppress cells below k = {k}, and "
        "complementary cells that would reveal them. `indicators.csv` is already "
        "protected that way: a hidden figure has `status` `suppressed` and empty `n` "
        "and `value`.",
        "- Cells that a spreadsheet would read as a formula start with an apostrophe.",
        "",
        "## Missing values",
        "",
        "- empty: not answered (or not asked because of an earlier answer)",
        "- `NV`: the variable is not in the form version or wave of this row",
        "- `NS`: free text withheld under the municipality's grant",
        *(f"- `{code}`: {text}" for code, text in MISSED_CODE_TEXTS.items()),
        "",
        "## Files (SHA-256)",
        "",
    ]
    lines += [f"- `{name}`: {digest}" for name, digest in files.items()]
    return "\n".join(lines) + "\n"


# -- the rows, read and merged in Python ------------------------------------------------------


def _answer_rows(
    selection: Selection,
    level: str,
    columns_by_slug: dict[str | None, list[Variable]],
    local: bool = False,
) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    ((slug, columns),) = columns_by_slug.items()
    statement = (
        select(
            Submission.family_id,
            Submission.member_id,
            Submission.form_id,
            Submission.answers,
            Submission.confirmed_checks,
            Submission.self_reported,
            FormVersion.version,
            Submission.form_version_id,
            Wave.key,
            Wave.kind,
            Wave.due_date,
            Family.enrolment_date,
            Family.team_model,
            Family.municipality_id,
            Municipality.code,
            Municipality.slug,
            scope.free_text().label("free_text"),
        )
        .join(FormVersion, FormVersion.id == Submission.form_version_id)
        .join(Wave, Wave.id == Submission.wave_id)
        .join(Family, Family.id == Submission.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(
            Submission.status == "submitted",
            FormVersion.level == level,
            scope.families(),
            scope.waves(),
            scope.forms(),
        )
        .order_by(
            Submission.family_id, Submission.member_id, Wave.due_date, Wave.id, Submission.form_id
        )
        .execution_options(yield_per=batch_size())
    )
    if slug is not None:
        statement = statement.where(Municipality.slug == slug)
    current: tuple[Any, ...] | None = None
    parts: list[Any] = []
    for row in db.session.execute(statement):
        if local != ("." in row.form_id):
            continue
        identity = (row.family_id, row.member_id, row.key)
        if identity != current and parts:
            yield _merge(parts, columns, key, level, selection, local)
            parts = []
        current = identity
        parts.append(row)
    if parts:
        yield _merge(parts, columns, key, level, selection, local)


# How _merge fills a column, decided once per combination of form versions; an answer
# given becomes a cell as its field's type says (a date as months since enrolment).
_ABSENT, _HIDDEN, _CELL = range(3)


def _column_plan(
    parts: list[Any], columns: list[Variable], free_text: bool, selection: Selection
) -> list[tuple[str, int, Any]]:
    asked: dict[str, FieldDef] = {}
    for part in parts:
        asked.update(selection.asked(part.form_version_id)[0])
    plan = []
    for variable in columns:
        fdef = asked.get(variable.name)
        if fdef is None:
            plan.append((variable.name, _ABSENT, None))
        elif variable.free_text and not free_text:
            plan.append((variable.name, _HIDDEN, None))
        else:
            plan.append((variable.name, _CELL, fdef.kind.export_cell))
    return plan


def _merge(
    parts: list[Any],
    columns: list[Variable],
    key: Pseudonyms,
    level: str,
    selection: Selection,
    local: bool,
) -> tuple[int, list[Any]]:
    first = parts[0]
    answers: dict[str, Any] = {}
    for part in parts:
        prefix = selection.asked(part.form_version_id)[1]
        if prefix:
            answers.update((prefix + name, value) for name, value in (part.answers or {}).items())
        else:
            answers.update(part.answers or {})
    # The columns list lives as long as the export, so its id is a safe part of the key.
    versions = tuple(part.form_version_id for part in parts)
    plan_key = (id(columns), versions, first.free_text)
    plan = selection.plans.get(plan_key)
    if plan is None:
        plan = selection.plans[plan_key] = _column_plan(parts, columns, first.free_text, selection)
    enrolment = first.enrolment_date
    row: list[Any] = [key("family", first.family_id)]
    if level != "family":
        row.append(key("person", first.member_id))
    row += [
        first.code,
        first.team_model,
        enrolment.year,
        (enrolment.month - 1) // 3 + 1,
        first.key,
        months_between(enrolment, first.due_date),
        "; ".join(f"{p.form_id}:{p.version}" for p in parts),
    ]
    append = row.append
    for name, mode, cell in plan:
        if mode == _ABSENT:
            append(NOT_IN_VERSION)
            continue
        value = answers.get(name)
        if value is None:
            append(NOT_ANSWERED)
        elif mode == _HIDDEN:
            append(NOT_SHARED)
        else:
            append(cell(value, enrolment))
    append(confirmed_cell(parts))
    if not local:
        row += modes.python_cells(level, parts, answers)
    return first.municipality_id, row


def _plan_rows(selection: Selection) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    statement = (
        select(
            Plan.family_id,
            Family.municipality_id,
            Family.enrolment_date,
            Family.team_model,
            Municipality.code,
            Goal.id,
            Goal.phase,
            Goal.life_area,
            Goal.description,
            Department.code.label("department"),
            Wave.key,
            GoalStatus.status,
            Goal.deleted_at,
            scope.free_text().label("free_text"),
        )
        .join(Goal, Goal.plan_id == Plan.id)
        .join(Family, Family.id == Plan.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .outerjoin(Department, Department.id == Goal.responsible_department_id)
        .outerjoin(GoalStatus, GoalStatus.goal_id == Goal.id)
        .outerjoin(Wave, Wave.id == GoalStatus.wave_id)
        # A status recorded at a wave not yet approved stays out; a goal without one does not.
        .where(scope.families(), or_(Wave.id.is_(None), scope.approved_waves()))
        .order_by(Plan.family_id, Goal.id, GoalStatus.id)
        .execution_options(yield_per=batch_size())
    )
    for row in db.session.execute(statement):
        yield (
            row.municipality_id,
            [
                key("family", row.family_id),
                row.code,
                row.team_model,
                key("goal", row.id),
                row.phase,
                row.life_area,
                row.department,
                row.description if row.free_text else NOT_SHARED,
                row.key,
                row.status,
                row.deleted_at is not None,
            ],
        )


def _wave_rows(selection: Selection) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    statement = (
        select(
            Wave.family_id,
            Wave.key,
            Wave.kind,
            Wave.due_date,
            Wave.window_end,
            Wave.completed_at,
            Family.municipality_id,
            Family.enrolment_date,
            Family.team_model,
            Municipality.code,
            windows.last_submitted().label("last_submitted"),
            windows.latest_reason().label("window_reason"),
        )
        .join(Family, Family.id == Wave.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(scope.families(), scope.waves())
        .order_by(Wave.family_id, Wave.due_date)
        .execution_options(yield_per=batch_size())
    )
    for row in db.session.execute(statement):
        completed = row.completed_at is not None
        on_time = dates.local_day(row.completed_at) <= row.window_end if completed else None
        yield (
            row.municipality_id,
            [
                key("family", row.family_id),
                row.code,
                row.team_model,
                row.key,
                months_between(row.enrolment_date, row.due_date),
                completed,
                on_time,
                *windows.cells(row.due_date, row.last_submitted, row.window_reason),
            ],
        )


def missed_rows(
    selection: Selection, level: str, columns: list[Variable]
) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    waves = db.session.scalars(
        select(Wave)
        .join(Family, Family.id == Wave.family_id)
        .where(
            Wave.missed_reason.is_not(None),
            Wave.completed_at.is_(None),
            scope.families(),
            scope.waves(),
        )
        .order_by(Wave.family_id, Wave.due_date, Wave.id)
    )
    for wave in waves:
        municipality = selection.municipalities[wave.municipality_id]
        granted = set(selection.grants[wave.municipality_id].forms)
        submitted = submitted_in(wave)
        subjects: dict[int | None, set[str]] = {}
        for expected in expected_in_wave(municipality, wave, submitted):
            version = expected.version
            if version.level != level or version.form.is_local:
                continue
            if version.form_id not in granted:
                continue
            member_id = expected.member.id if expected.member else None
            subjects.setdefault(member_id, set()).add(version.form_id)
        answered = {member_id for form_id, member_id in submitted if form_id in granted}
        code = MISSED_CODES[str(wave.missed_reason)]
        family = wave.family
        for member_id, forms in subjects.items():
            if member_id in answered:
                continue
            row: list[Any] = [key("family", wave.family_id)]
            if level != "family":
                row.append(key("person", member_id))  # type: ignore[arg-type]
            row += [
                municipality.code,
                family.team_model,
                family.enrolment_date.year,
                (family.enrolment_date.month - 1) // 3 + 1,
                wave.key,
                months_between(family.enrolment_date, wave.due_date),
                "",
            ]
            row += [code if set(v.forms) & forms else NOT_IN_VERSION for v in columns]
            row.append(NOT_ANSWERED)
            row += modes.missed_cells(level)
            yield wave.municipality_id, row
