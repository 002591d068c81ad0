"""The research data package: a Frictionless Data Package in a zip, streamed from the database.

The tables are built by the database (:mod:`app.research.wide` for the answers,
:mod:`app.research.tables` for plan goals and waves) and streamed into the zip, a block at
a time (:mod:`app.research.streams`), so memory stays flat however many families there
are; each table is also written as Parquet beside its CSV (:mod:`app.research.parquet`).
Columns come
from every published version of the core forms, never from the data, so a package
spanning two form versions has the same columns as one spanning a single version; a
variable a version did not ask is the declared missing code ``NV``.

Privacy, in one place: family and person ids are keyed HMAC pseudonyms of the study;
identifying fields never leave; free text leaves only under a grant that allows it
(otherwise ``NS``); dates become months since enrolment; families without research consent
are left out; only approved waves of granted municipalities leave; and every cell that a
spreadsheet would read as a formula is neutralised (``app.core.csvfile``).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from app.collection.models import FormVersion
from app.core import csvfile
from app.core.db import db
from app.core.version import __version__
from app.definitions.loader import CORE_FORMS
from app.definitions.model import pick
from app.plans.models import GOAL_STATUSES
from app.research import (
    aggregates,
    cells,
    codebook,
    confirmations,
    modes,
    parquet,
    persons,
    pseudonyms,
    streams,
    tables,
    wide,
    windows,
)
from app.research.missed_rows import missed_rows, missed_waves
from app.research.models import Study
from app.research.readme import readme
from app.research.rows import batch_size, selection_for
from app.research.variables import (
    LEVEL_TABLES,
    MISSING_VALUES,
    NOT_ANSWERED,
    Variable,
    plan_variables,
)

# -- writing ----------------------------------------------------------------------------------


@dataclass
class PackageResult:
    path: Path
    checksum: str
    row_counts: dict[int, dict[str, int]]
    files: dict[str, str]


def write_package(
    study: Study, out: Path, *, progress: Callable[[str, int], None] | None = None
) -> PackageResult:
    """Write the study's package to *out*. The caller has crossed the tenant boundary."""
    selection = selection_for(study)
    versions = list(db.session.scalars(select(FormVersion).order_by(FormVersion.id)))
    core = [v for v in versions if v.form_id in CORE_FORMS]
    tables_of = plan_variables(core)
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
    parquet_resources: list[dict[str, Any]] = []

    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        cells.register(connection.connection.dbapi_connection)
    else:
        # Every row of every statement is read: plan for all of them. A server-side
        # cursor is otherwise planned for its first tenth, which chose nested loops over
        # the intake answers and made the persons table 20 times slower.
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    pseudonyms.fill(selection.scope, study.pseudonym_key)
    missed = missed_waves(selection)
    # PostgreSQL's COPY ends its lines in \n; the rows written here end theirs the same.
    newline = "\n" if dialect == "postgresql" else "\r\n"
    every = batch_size()
    scratch = Path(tempfile.mkdtemp(prefix="helhed-package-"))

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def emit(
            name: str,
            header: list[str],
            rows: Iterator[tuple[int, list[Any]]] | None,
            schema: dict[str, Any],
            description: str,
            statement: Select[Any] | None = None,
            counted: Select[Any] | None = None,
            parquet_too: bool = True,
        ) -> None:
            """A table into the zip: the statement's rows streamed by the database, then
            *rows* (made in Python); its Parquet beside it."""
            spool = scratch / name
            with archive.open(name, "w") as member, open(spool, "wb") as copy:
                hashing = streams.HashingWriter(streams.Tee(member, copy))
                text = io.TextIOWrapper(hashing, encoding="utf-8", newline="")  # type: ignore[arg-type]
                writer = csvfile.writer(text, lineterminator=newline)
                writer.writerow(header)
                text.flush()
                written = 0
                if statement is not None:
                    if counted is None:
                        counted = tables.counted(statement)
                    for municipality_id, rows_of in db.session.execute(counted):
                        table_counts = counts.setdefault(municipality_id, {})
                        table_counts[name] = table_counts.get(name, 0) + rows_of

                    def reported(lines: int) -> None:
                        if progress:
                            progress(name, lines)

                    written = streams.write_csv(
                        tables.without_municipality(statement), hashing, every, reported
                    )
                first = written + 1
                try:
                    for written, (municipality_id, row) in enumerate(rows or (), first):
                        writer.writerow([_cell(value) for value in row])
                        table_counts = counts.setdefault(municipality_id, {})
                        table_counts[name] = table_counts.get(name, 0) + 1
                        if progress and written % every == 0:
                            progress(name, written)
                finally:
                    # A progress step may stop the export (a cancelled job): the reading
                    # ends here, with its cursor, not whenever the garbage is collected.
                    close = getattr(rows, "close", None)
                    if close is not None:
                        close()
                text.flush()
                text.detach()
            files[name] = hashing.sha256.hexdigest()
            resource = {
                "name": name.removesuffix(".csv").replace("_", "-"),
                "path": name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": csvfile.MEDIA_TYPE,
                "encoding": "utf-8",
                "description": description,
                "schema": schema,
            }
            resources.append(resource)
            if parquet_too:
                stem = name.removesuffix(".csv")
                parquet_path = scratch / f"{stem}.parquet"
                parquet.from_csv(spool, parquet_path, header)
                files[f"{stem}.parquet"] = streams.file_digest(parquet_path)
                archive.write(parquet_path, f"{stem}.parquet", compress_type=zipfile.ZIP_STORED)
                parquet_resources.append(
                    {
                        **resource,
                        "name": f"{resource['name']}-parquet",
                        "path": f"{stem}.parquet",
                        "format": "parquet",
                        "mediatype": parquet.MEDIA_TYPE,
                        "description": f"{description} (Parquet; the same cells as {name})",
                    }
                )
                parquet_path.unlink()
            spool.unlink()

        for level, table in LEVEL_TABLES.items():
            columns = tables_of[table]
            keys = _key_fields(level)
            emit(
                f"{table}.csv",
                [k["name"] for k in keys]
                + [v.name for v in columns]
                + [confirmations.COLUMN, *modes.header(level)],
                missed_rows(selection, level, columns, missed),
                _schema(keys, columns, confirmations.SCHEMA_FIELD, *modes.schema_fields(level)),
                f"One row per {level if level != 'family' else 'family'} and wave",
                *wide.answers(selection, dialect, level, columns, core),
            )
        for name, columns in local_tables.items():
            level = next(lv for lv, t in LEVEL_TABLES.items() if name.startswith(t))
            slug = name.rsplit("_", 1)[1]
            keys = _key_fields(level)
            emit(
                f"{name}.csv",
                [k["name"] for k in keys] + [v.name for v in columns] + [confirmations.COLUMN],
                None,
                _schema(keys, columns, confirmations.SCHEMA_FIELD),
                f"Local questions of {slug}",
                *wide.answers(selection, dialect, level, columns, versions, slug),
            )
        emit(
            "plan_goals.csv",
            [f["name"] for f in _PLAN_FIELDS],
            None,
            _schema(_PLAN_FIELDS, []),
            "Joint-plan goals and their status at each follow-up",
            tables.plan_goals(selection, dialect),
        )
        emit(
            "waves.csv",
            [f["name"] for f in _WAVE_FIELDS],
            None,
            _schema(_WAVE_FIELDS, []),
            "Every approved wave: due, completed, on time",
            tables.waves(selection, dialect),
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
        codebook_rows = list(_codebook(tables_of, local_tables))
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
        # -- the key tables and the codebook as tables (app/research/persons.py, codebook.py):
        # after every data table, as variables.csv describes the fields emitted so far.
        emit(*persons.family_table(selection))
        emit(*persons.persons_table(selection, tables_of))
        answers = codebook.answer_variables(tables_of, local_tables)
        codebook.declare_missing_values(resources, answers)
        emit(*codebook.variables_table(resources, answers, versions, datetime.now(UTC).date()))
        emit(*codebook.values_table(answers, versions))
        codebook.declare_keys(resources)
        # The codebook is not data of a municipality: keep it out of the per-municipality counts.
        for table_counts in counts.values():
            for name in codebook.CODEBOOK_FILES:
                table_counts.pop(name, None)
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
            "resources": resources + parquet_resources,
        }
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
        archive.writestr("README.md", readme(selection, extracted, files, counts, k))

    pseudonyms.drop()
    scratch.rmdir()
    checksum = streams.file_digest(out)
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
