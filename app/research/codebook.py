"""The research package's codebook as tables, its keys and its missing values per field.

``codebook.csv`` packs a variable's value labels into one string, which a researcher has to
take apart before using it; these tables give the same as rows a program reads directly:

- ``variables.csv``: every column of every data table (keys included), with its Table Schema
  type, unit, range, labels, form versions and the codes that mean "missing" in it, so a
  loader can take ``dtype`` and ``na_values`` from it (the README prints one);
- ``values.csv``: every code of a code list and every anchor of a scale, per variable, with
  the form versions in which its label holds: a label reworded in a new version gives a
  second row, so the change shows.

In a number, integer or boolean column every missing code must be a missing value (a
Table Schema type has no room for ``NV``); in a text or code column only the empty cell
("not answered") is, so ``NV``, ``NS`` and the ``M_`` codes stay apart from it as values
(declared in the column's ``enum`` where it has one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.collection.models import FormVersion
from app.definitions.bilingual import Text, pick
from app.definitions.model import FieldDef, FormDef
from app.research import modes, windows
from app.research.persons import FAMILY_FILE, PERSONS_FILE, attributes
from app.research.variables import MISSING_VALUES, NOT_ANSWERED, NOT_SHARED, Variable

VARIABLES_FILE = "variables.csv"
VALUES_FILE = "values.csv"
#: Tables of the codebook: not data of a municipality, and not described in variables.csv.
CODEBOOK_FILES = ("codebook.csv", "codebook_checks.csv", VARIABLES_FILE, VALUES_FILE)

#: The codes a number, integer or boolean answer column reads as missing, and what a text
#: or code answer column keeps as values.
CODES = [code for code in MISSING_VALUES if code != NOT_ANSWERED]

VARIABLE_FIELDS: list[dict[str, Any]] = [
    {"name": "name", "type": "string", "description": "Column name"},
    {"name": "table", "type": "string", "description": "File the column is in"},
    {
        "name": "type",
        "type": "string",
        "description": "Table Schema type",
        "constraints": {"enum": ["string", "integer", "number", "boolean"]},
    },
    {"name": "unit", "type": "string", "description": "Unit of a number, in English"},
    {"name": "unit_da", "type": "string", "description": "Unit of a number, in Danish"},
    {"name": "minimum", "type": "number", "description": "Smallest value the forms accept"},
    {"name": "maximum", "type": "number", "description": "Largest value the forms accept"},
    {"name": "label_da", "type": "string", "description": "Label in Danish"},
    {"name": "label_en", "type": "string", "description": "Label in English"},
    {"name": "forms", "type": "string", "description": "Forms that ask it (, )"},
    {"name": "versions", "type": "string", "description": "form:version in which it exists"},
    {
        "name": "missing_codes",
        "type": "string",
        "description": "Codes that mean missing in this column besides the empty cell "
        "(;-separated): read them as missing",
    },
    {
        "name": "earlier_labels",
        "type": "string",
        "description": "Labels of earlier form versions that differ from label_da/label_en "
        "(form:version: Danish / English; …)",
    },
]

VALUE_FIELDS: list[dict[str, Any]] = [
    {"name": "variable", "type": "string", "description": "Column name (variables.csv name)"},
    {"name": "table", "type": "string", "description": "File the column is in"},
    {
        "name": "kind",
        "type": "string",
        "description": "code: a code of the variable's code list; anchor: a labelled scale point",
        "constraints": {"enum": ["code", "anchor"]},
    },
    {"name": "code", "type": "string", "description": "The value as it stands in the column"},
    {"name": "label_da", "type": "string", "description": "Label in Danish"},
    {"name": "label_en", "type": "string", "description": "Label in English"},
    {
        "name": "valid_from",
        "type": "string",
        "description": "First form version (form:version; one per form) with this label",
    },
    {
        "name": "valid_to",
        "type": "string",
        "description": "Last form version (form:version; one per form) with this label",
    },
]

# Danish labels and units of the columns that are not questions of a form.
_MONTHS = ("months since enrolment", "måneder siden indskrivning")
_COLUMNS: dict[str, tuple[str, tuple[str, str] | None]] = {
    "family_id": ("Pseudonymt familie-id (pr. studie)", None),
    "person_id": ("Pseudonymt person-id (pr. studie)", None),
    "level": ("Voksen eller barn", None),
    "municipality_code": ("Kommunekode (Danmarks Statistik)", None),
    "team_model": ("Familiens teammodel", None),
    "enrolment_year": ("Indskrivningsår", None),
    "enrolment_quarter": ("Indskrivningskvartal", None),
    "wave": ("Runde: intake, follow_up_<måneder> eller exit", None),
    "wave_month": ("Måneder fra indskrivning til rundens frist", _MONTHS),
    "due_month": ("Måneder fra indskrivning til rundens frist", _MONTHS),
    "form_versions": ("De besvarede skemaversioner (skema:version; …)", None),
    "confirmed_warnings": ("Bekræftede advarsler (skema.regel; …)", None),
    "days_from_due": ("Dage fra rundens frist til indsendelse", ("days", "dage")),
}


def answer_variables(
    tables: dict[str, list[Variable]], local: dict[str, list[Variable]]
) -> dict[str, dict[str, Variable]]:
    """file -> column -> the form variable it holds, for every table with answers."""
    found: dict[str, dict[str, Variable]] = {}
    every = [*tables.items(), *local.items(), (windows.TABLE, windows.variables())]
    for table, columns in [*every, *modes.variables()]:
        found.setdefault(f"{table}.csv", {}).update((v.name, v) for v in columns)
    found[PERSONS_FILE] = {a.variable.name: a.variable for a in attributes(tables)}
    return found


def declare_missing_values(
    resources: list[dict[str, Any]], answers: dict[str, dict[str, Variable]]
) -> None:
    """Give each data field of *resources* its own ``missingValues`` (see the module)."""
    for resource in resources:
        if resource["path"] in CODEBOOK_FILES:
            continue
        asked = answers.get(resource["path"], {})
        for entry in resource["schema"]["fields"]:
            variable = asked.get(entry["name"])
            # Only answers of a form carry the codes (keys, and the waves table's own
            # columns, are empty or a value); NS only in a text, which is a string.
            if variable is None or variable.source is None:
                entry["missingValues"] = [NOT_ANSWERED]
            elif entry["type"] != "string":
                entry["missingValues"] = [c for c in MISSING_VALUES if c != NOT_SHARED]
            else:
                entry["missingValues"] = [NOT_ANSWERED]
                enum = entry.get("constraints", {}).get("enum")
                if enum is not None:
                    enum += [code for code in CODES if code not in enum]


def declare_keys(resources: list[dict[str, Any]]) -> None:
    """Primary and foreign keys: every table's ids refer to the family and person tables."""
    families = {"resource": _name(FAMILY_FILE), "fields": ["family_id"]}
    persons = {"resource": _name(PERSONS_FILE), "fields": ["person_id"]}
    for resource in resources:
        schema, path = resource["schema"], resource["path"]
        names = {f["name"] for f in schema["fields"]}
        if path == FAMILY_FILE:
            schema["primaryKey"] = ["family_id"]
            continue
        if path == VARIABLES_FILE:
            schema["primaryKey"] = ["table", "name"]
        if path == VALUES_FILE:
            schema["primaryKey"] = ["table", "variable", "kind", "code", "valid_from"]
            schema["foreignKeys"] = [
                {
                    "fields": ["table", "variable"],
                    "reference": {"resource": _name(VARIABLES_FILE), "fields": ["table", "name"]},
                }
            ]
        if "family_id" not in names:
            continue
        keys = [{"fields": ["family_id"], "reference": families}]
        if path == PERSONS_FILE:
            schema["primaryKey"] = ["person_id"]
        elif "person_id" in names:
            keys.append({"fields": ["person_id"], "reference": persons})
        # A wave table: one row per family or person and wave.
        if "wave" in names and ("form_versions" in names or "due_month" in names):
            schema["primaryKey"] = ["person_id" if "person_id" in names else "family_id", "wave"]
        schema["foreignKeys"] = keys


def _codebook_schema(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A codebook table's schema: the package's missing codes, as every table declares
    them, yet only the empty cell missing in its columns (a code is text here)."""
    return {
        "fields": [{**f, "missingValues": [NOT_ANSWERED]} for f in fields],
        "missingValues": MISSING_VALUES,
    }


def _name(path: str) -> str:
    """The resource name ``emit`` gives a file."""
    return path.removesuffix(".csv").replace("_", "-")


# -- variables.csv --------------------------------------------------------------------------


class _Snapshots:
    """The parsed definitions of the package's form versions, by ``form:version``."""

    def __init__(self, versions: Iterable[FormVersion]):
        self.forms: dict[str, FormDef] = {f"{v.form_id}:{v.version}": v.form for v in versions}

    def fields(self, variable: Variable) -> Iterator[tuple[str, FieldDef]]:
        """Each version of the variable with its field there, in the variable's order."""
        name = variable.name.rsplit(".", 1)[-1]
        for reference in variable.versions:
            form = self.forms.get(reference)
            fdef = form.field(name) if form is not None else None
            if fdef is not None:
                yield reference, fdef


def variables_table(
    resources: list[dict[str, Any]],
    answers: dict[str, dict[str, Variable]],
    versions: Iterable[FormVersion],
    today: date,
) -> tuple[Any, ...]:
    """``emit``'s arguments for :data:`VARIABLES_FILE`: every field of *resources* so far."""
    snapshots = _Snapshots(versions)
    rows = [
        _variable_row(resource["path"], entry, answers.get(resource["path"], {}), snapshots, today)
        for resource in resources
        if resource["path"] not in CODEBOOK_FILES
        for entry in resource["schema"]["fields"]
    ]
    return (
        VARIABLES_FILE,
        [f["name"] for f in VARIABLE_FIELDS],
        iter((0, row) for row in rows),
        _codebook_schema(VARIABLE_FIELDS),
        "Every column of every data table: type, unit, range, labels, versions, missing codes",
    )


def _variable_row(
    path: str,
    entry: dict[str, Any],
    asked: dict[str, Variable],
    snapshots: _Snapshots,
    today: date,
) -> list[Any]:
    name = entry["name"]
    missing = ";".join(c for c in entry.get("missingValues", []) if c != NOT_ANSWERED)
    constraints = entry.get("constraints", {})
    variable = asked.get(name)
    if variable is None:
        label_da, unit = _COLUMNS.get(name, ("", None))
        return [
            name,
            path,
            entry["type"],
            unit[0] if unit else "",
            unit[1] if unit else "",
            constraints.get("minimum"),
            constraints.get("maximum"),
            label_da,
            entry.get("description", ""),
            "",
            "",
            missing,
            "",
        ]
    seen = list(snapshots.fields(variable))
    low, high = _range(variable, [fdef for _, fdef in seen], today)
    unit_text: Text = seen[-1][1].unit if seen else {}
    export_unit = variable.source.kind.export_unit if variable.source is not None else ""
    if export_unit == _MONTHS[0]:
        unit_text = {"en": _MONTHS[0], "da": _MONTHS[1]}
    latest = seen[-1][1].label if seen else variable.label
    earlier = [
        f"{reference}: {fdef.label.get('da', '')} / {fdef.label.get('en', '')}"
        for reference, fdef in seen
        if _both(fdef.label) != _both(latest)
    ]
    return [
        name,
        path,
        entry["type"],
        pick(unit_text, "en") if unit_text else "",
        pick(unit_text, "da") if unit_text else "",
        low,
        high,
        pick(latest, "da"),
        pick(latest, "en"),
        ", ".join(variable.forms),
        ", ".join(variable.versions),
        missing,
        "; ".join(earlier),
    ]


def _range(
    variable: Variable, fdefs: list[FieldDef], today: date
) -> tuple[float | None, float | None]:
    """The widest bounds the versions put on a number (none for a text's length)."""
    if variable.type not in ("integer", "number") or not fdefs:
        return None, None
    if not all(f.kind.bounded for f in fdefs):
        return None, None
    bounds = [f.bounds(today) for f in fdefs]
    lows = [low for low, _ in bounds]
    highs = [high for _, high in bounds]
    return (
        None if None in lows else min(low for low in lows if low is not None),
        None if None in highs else max(high for high in highs if high is not None),
    )


def _both(label: Text) -> tuple[str, str]:
    return label.get("da", ""), label.get("en", "")


# -- values.csv -----------------------------------------------------------------------------


@dataclass
class _Run:
    """A label that holds for a code over consecutive versions of one or more forms."""

    label: tuple[str, str]
    #: form -> [first, last] version with this label
    forms: dict[str, list[int]] = field(default_factory=dict)


def values_table(
    answers: dict[str, dict[str, Variable]], versions: Iterable[FormVersion]
) -> tuple[Any, ...]:
    """``emit``'s arguments for :data:`VALUES_FILE`."""
    snapshots = _Snapshots(versions)
    rows = [
        row
        for path, columns in answers.items()
        for variable in columns.values()
        for row in _value_rows(path, variable, snapshots)
    ]
    return (
        VALUES_FILE,
        [f["name"] for f in VALUE_FIELDS],
        iter((0, row) for row in rows),
        _codebook_schema(VALUE_FIELDS),
        "Every code and scale anchor of every variable, with the form versions its label holds in",
    )


def _value_rows(path: str, variable: Variable, snapshots: _Snapshots) -> Iterator[list[Any]]:
    seen: dict[tuple[str, str], list[tuple[str, int, tuple[str, str]]]] = {}
    for reference, fdef in snapshots.fields(variable):
        form_id, version = reference.rsplit(":", 1)
        form = snapshots.forms[reference]
        if fdef.codelist and fdef.codelist in form.codelists:
            for code in form.codelists[fdef.codelist].codes:
                seen.setdefault(("code", code.code), []).append(
                    (form_id, int(version), _both(code.label))
                )
        for point, anchor in sorted(fdef.anchors.items()):
            seen.setdefault(("anchor", str(point)), []).append(
                (form_id, int(version), _both(anchor))
            )
    if not seen and variable.codes:
        # Not from a form (the waves table's reasons): one label, no versions.
        for code, label in variable.codes.items():
            yield [variable.name, path, "code", code, *_both(label), "", ""]
        return
    for (kind, code), history in seen.items():
        for run in _runs(history):
            yield [
                variable.name,
                path,
                kind,
                code,
                *run.label,
                "; ".join(f"{form}:{first}" for form, (first, _) in run.forms.items()),
                "; ".join(f"{form}:{last}" for form, (_, last) in run.forms.items()),
            ]


def _runs(history: list[tuple[str, int, tuple[str, str]]]) -> list[_Run]:
    """The labels of one code over its versions, each with the versions it holds in.

    Consecutive versions of a form with the same label are one run; forms whose runs have
    the same label share a row. A label that changes and changes back is two runs.
    """
    runs: list[_Run] = []
    current: dict[str, _Run] = {}
    for form_id, version, label in history:
        run = current.get(form_id)
        if run is not None and run.label == label:
            run.forms[form_id][1] = version
            continue
        run = next((r for r in runs if r.label == label and form_id not in r.forms), None)
        if run is None:
            run = _Run(label)
            runs.append(run)
        run.forms[form_id] = [version, version]
        current[form_id] = run
    return runs


# -- the README ------------------------------------------------------------------------------

#: The loaders the README prints: read variables.csv, then one table with its types and
#: missing codes. A test runs the Python one as the README has it.
PYTHON_LOADER = [
    "import pandas as pd",
    'v = pd.read_csv("variables.csv", dtype=str, keep_default_na=False)'
    ".query(\"table == 'adults.csv'\")",
    'adults = pd.read_csv("adults.csv", keep_default_na=False, '
    'na_values={r.name: ["", *r.missing_codes.split(";")] for r in v.itertuples()}, '
    'dtype={r.name: {"integer": "Int64", "number": "float64", "boolean": "boolean"}'
    '.get(r.type, "string") for r in v.itertuples()})',
]
R_LOADER = [
    'v <- subset(read.csv("variables.csv", colClasses = "character", na.strings = character(0)), '
    'table == "adults.csv")',
    'adults <- read.csv("adults.csv", colClasses = "character", na.strings = "", '
    "check.names = FALSE)",
    'for (i in which(v$type != "string")) adults[[v$name[i]]] <- type.convert(replace('
    'adults[[v$name[i]]], adults[[v$name[i]]] %in% strsplit(v$missing_codes[i], ";")[[1]], '
    "NA), as.is = TRUE)",
]


def readme_lines() -> list[str]:
    """The README's section on the key tables, the codebook tables, dates and loading."""
    return [
        "## Persons, codebook and loading",
        "",
        f"- `{FAMILY_FILE}`: one row per family (municipality, team model, enrolment year "
        f"and quarter); `{PERSONS_FILE}`: one row per person (level, family, municipality, "
        "team model, and the intake's birth year, sex and household type), so the wave "
        "tables need no merge with the intake rows. `NV` in a person's attribute: the "
        "intake of that level does not ask it; empty: not answered, or the intake is not in "
        "the package.",
        f"- `{VARIABLES_FILE}`: every column of every data table, keys included, with its "
        "type, unit, range (minimum, maximum), labels, forms, form versions and the codes "
        "that mean missing in it (`missing_codes`).",
        f"- `{VALUES_FILE}`: every code and scale anchor of every variable, one row each, "
        "with the form versions its label holds in (`valid_from`, `valid_to`, one "
        "`form:version` per form): a label reworded in a new version gives a second row.",
        "- `datapackage.json` declares the keys: every wave table's `family_id` refers to "
        f"`{FAMILY_FILE}` and its `person_id` to `{PERSONS_FILE}`.",
        "- Dates: every date answer is the number of months from the family's enrolment "
        "date to it (30.4375 days a month, one decimal, negative if before); so are "
        "`wave_month` and `due_month`. Enrolment itself is year and quarter.",
        "- Codes are text: read `municipality_code` and every code column as strings, or "
        "`0420` becomes 420.",
        "- Missing codes: in a number, integer or boolean answer column every code of the "
        "section above is missing; in a text or code column only the empty cell is, so "
        "`NV`, `NS` and the `M_` codes stay apart from not answered as values. The "
        "schemas declare this per field (`missingValues`), and `frictionless` reads the "
        "tables the same way.",
        "",
        "Python (pandas), any table in place of `adults.csv`:",
        "",
        "```python",
        *PYTHON_LOADER,
        "```",
        "",
        "R (base), the same; every missing code of a number, integer or boolean column "
        "becomes `NA`, a text column keeps them:",
        "",
        "```r",
        *R_LOADER,
        "```",
        "",
    ]
