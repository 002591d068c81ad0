"""Reading and checking ``forms/``: code lists, the core instruments and local extensions.

Layout::

    forms/codelists/<name>.yaml
    forms/core/<form_id>/v<N>.yaml
    forms/local/<slug>/<name>/v<N>.yaml      (form id "<slug>.<name>")

Every problem has a stable code and its exact place, so a reviewer (or a test) can tell
them apart: ``F015 forms/core/child_intake/v1.yaml [child_intake v1 / case_start_date]:
show_if names unknown field 'x'``. Nothing is published unless the whole folder checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from app.definitions.checks import check_definitions
from app.definitions.field_checks import (
    NAME_RE,
    _check_field,
    _normalise_field,
    _text_ok,
    earlier_normalisation,
)
from app.definitions.model import LEVELS, WAVES, FormDef, questions_hash

#: The core instruments of the harmonised dataset; their ids never change meaning.
CORE_FORMS = (
    "family_intake",
    "adult_intake",
    "child_intake",
    "family_follow_up",
    "adult_follow_up",
    "child_follow_up",
    "family_exit",
)

VERSION_FILE_RE = re.compile(r"^v([1-9][0-9]*)\.ya?ml$")

#: Every problem code, with what it means. The codes are stable: tests and people rely on them.
PROBLEM_CODES = {
    "C001": "code list file is not valid YAML or not a mapping",
    "C002": "code list is missing a required key",
    "C003": "code is listed twice",
    "C004": "validity dates are not dates, or end before they start",
    "C005": "label is missing Danish or English",
    "C006": "unknown key in a code list",
    "C007": "code list name does not match its file name",
    "F001": "form file is not valid YAML or not a mapping",
    "F002": "form is missing a required key",
    "F003": "unknown key",
    "F004": "form id does not match the folder it is in",
    "F005": "version does not match the file name (vN.yaml)",
    "F006": "unknown level",
    "F007": "unknown wave",
    "F008": "text is missing Danish or English",
    "F010": "unknown field type",
    "F011": "field name used twice in the form",
    "F012": "choice field without a code list",
    "F013": "unknown code list",
    "F014": "show_if cannot be parsed",
    "F015": "show_if names a field that is not in the form",
    "F016": "local form redefines a core variable name",
    "F017": "an answered version was changed in place",
    "F018": "min/max do not fit the field",
    "F019": "pattern is not a valid regular expression",
    "F020": "computed field names an unknown computation",
    "F021": "computed field needs a field that is not in the form",
    "F022": "local form is not namespaced under its municipality",
    "F023": "field or section name is not a lower-case identifier",
    "F024": "scale needs whole-number min and max, and anchors inside them",
    "F025": "attribute has the wrong type",
    "F026": "unknown core form id",
    "F027": "show_if refers to its own field",
    "F028": "check condition (when) cannot be parsed",
    "F029": "check names a field that is not in the form",
    "F030": "check uses an unknown context name",
    "F031": "check compares values that cannot be compared",
    "F032": "check names a code that is not in the field's code list",
    "F033": "check has an unknown severity",
    "F034": "check message is missing Danish or English",
    "F035": "check id is not a lower-case identifier or is used twice",
}

_FORM_KEYS = {"form", "version", "level", "waves", "title", "help", "sections", "checks"}
_SECTION_KEYS = {"id", "title", "fields"}
_CODELIST_KEYS = {"codelist", "title", "codes"}
_CODE_KEYS = {"code", "label", "valid_from", "valid_to", "attributes"}


@dataclass(frozen=True)
class Problem:
    code: str
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        place = f" [{self.where}]" if self.where else ""
        return f"{self.code} {self.file}{place}: {self.message}"


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Catalogue:
    """Every checked definition in a ``forms/`` folder."""

    codelists: dict[str, dict[str, Any]] = field(default_factory=dict)
    forms: dict[tuple[str, int], FormDef] = field(default_factory=dict)
    sources: dict[tuple[str, int], str] = field(default_factory=dict)

    def latest(self, form_id: str) -> FormDef | None:
        versions = [v for (f, v) in self.forms if f == form_id]
        return self.forms[(form_id, max(versions))] if versions else None

    def form_ids(self) -> list[str]:
        return sorted({f for f, _ in self.forms})


@dataclass
class _Checker:
    root: Path
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, path: Path | str, where: str, message: str) -> None:
        self.problems.append(Problem(code, self.display(path), where, message))

    def display(self, path: Path | str) -> str:
        path = Path(path)
        try:
            return str(Path(self.root.name) / path.relative_to(self.root))
        except ValueError:
            return str(path)


def load_catalogue(
    root: Path, published: dict[tuple[str, int], tuple[str, bool]] | None = None
) -> Catalogue:
    """Read and check everything under *root*; raise :class:`DefinitionError` with all problems.

    *published* maps (form id, version) to (content hash, answered?) from the database; an
    answered version whose file now hashes differently is reported as F017.
    """
    checker = _Checker(root)
    catalogue = Catalogue()
    for path in sorted((root / "codelists").glob("*.y*ml")):
        data = _codelist(checker, path)
        if data is not None:
            catalogue.codelists[data["codelist"]] = data

    core_names: set[str] = set()
    raw_forms: list[tuple[Path, dict[str, Any], str | None]] = []
    for path in sorted((root / "core").glob("*/*.y*ml")):
        raw = _read_yaml(checker, path, "F001")
        if raw is not None:
            raw_forms.append((path, raw, None))
    for path in sorted((root / "local").glob("*/*/*.y*ml")):
        raw = _read_yaml(checker, path, "F001")
        if raw is not None:
            raw_forms.append((path, raw, path.parent.parent.name))

    for _path, raw, slug in raw_forms:
        if slug is None:
            for section in raw.get("sections") or []:
                for f in (section.get("fields") or []) if isinstance(section, dict) else []:
                    if isinstance(f, dict) and isinstance(f.get("name"), str):
                        core_names.add(f["name"])

    for path, raw, slug in raw_forms:
        normalised = _form(checker, path, raw, slug, catalogue.codelists, core_names)
        if normalised is None:
            continue
        key = (normalised["form"], normalised["version"])
        form = FormDef.from_dict(normalised)
        catalogue.forms[key] = form
        catalogue.sources[key] = checker.display(path)
        if published and key in published:
            stored_hash, answered = published[key]
            if answered and stored_hash not in (form.content_hash, earlier_content_hash(form)):
                checker.add(
                    "F017",
                    path,
                    f"{key[0]} v{key[1]}",
                    "this version has answers and was changed in place; "
                    f"put the change in v{key[1] + 1}.yaml instead",
                )
    if checker.problems:
        raise DefinitionError(checker.problems)
    return catalogue


def earlier_content_hash(form: FormDef) -> str:
    """The hash *form* was published under before attributes of value 0 were kept.

    A stored snapshot with this hash is the same file, read with ``min: 0`` (and the like)
    lost; it is not a change in place, and publishing restores what it lost.
    """
    return questions_hash(earlier_normalisation(form.data))


# -- code lists -------------------------------------------------------------------------------


def _read_yaml(checker: _Checker, path: Path, code: str) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        checker.add(code, path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict):
        checker.add(code, path, "", "must be a mapping at the top level")
        return None
    return data


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


def _codelist(checker: _Checker, path: Path) -> dict[str, Any] | None:
    raw = _read_yaml(checker, path, "C001")
    if raw is None:
        return None
    return _checked_codelist(checker, path, raw)


def _checked_codelist(checker: _Checker, path: Path, raw: dict[str, Any]) -> dict[str, Any] | None:
    before = len(checker.problems)
    name = raw.get("codelist")
    where = str(name or path.stem)
    for key in sorted(set(raw) - _CODELIST_KEYS):
        checker.add("C006", path, where, f"unknown key {key!r}")
    for key in ("codelist", "title", "codes"):
        if key not in raw:
            checker.add("C002", path, where, f"missing {key!r}")
    if name is not None and name != path.stem:
        checker.add("C007", path, where, f"codelist {name!r} is in file {path.name}")
    if "title" in raw and not _text_ok(raw["title"]):
        checker.add("C005", path, where, "title needs da and en")
    codes = raw.get("codes")
    normalised_codes = []
    if "codes" in raw and (not isinstance(codes, list) or not codes):
        checker.add("C002", path, where, "codes must be a non-empty list")
        codes = []
    seen: set[str] = set()
    for index, item in enumerate(codes or []):
        spot = f"{where} / codes[{index}]"
        if not isinstance(item, dict) or "code" not in item:
            checker.add("C002", path, spot, "each code needs 'code' and 'label'")
            continue
        code = str(item["code"])
        spot = f"{where} / {code}"
        for key in sorted(set(item) - _CODE_KEYS):
            checker.add("C006", path, spot, f"unknown key {key!r}")
        if code in seen:
            checker.add("C003", path, spot, f"code {code!r} is listed twice")
        seen.add(code)
        if not _text_ok(item.get("label")):
            checker.add("C005", path, spot, "label needs da and en")
        try:
            valid_from, valid_to = _iso(item.get("valid_from")), _iso(item.get("valid_to"))
        except ValueError:
            checker.add("C004", path, spot, "valid_from/valid_to must be dates (YYYY-MM-DD)")
            continue
        if valid_from and valid_to and valid_to < valid_from:
            checker.add(
                "C004", path, spot, f"valid_to {valid_to} is before valid_from {valid_from}"
            )
        attributes = item.get("attributes", {})
        if not isinstance(attributes, dict):
            checker.add("C006", path, spot, "attributes must be a mapping")
            attributes = {}
        normalised = {"code": code, "label": item.get("label")}
        if valid_from:
            normalised["valid_from"] = valid_from
        if valid_to:
            normalised["valid_to"] = valid_to
        if attributes:
            normalised["attributes"] = attributes
        normalised_codes.append(normalised)
    if len(checker.problems) > before:
        return None
    return {"codelist": name, "title": raw["title"], "codes": normalised_codes}


# -- forms -------------------------------------------------------------------------------------


def _form(
    checker: _Checker,
    path: Path,
    raw: dict[str, Any],
    slug: str | None,
    codelists: dict[str, dict[str, Any]],
    core_names: set[str],
) -> dict[str, Any] | None:
    before = len(checker.problems)
    form_id = raw.get("form")
    version = raw.get("version")
    where = f"{form_id} v{version}"

    def add(code: str, message: str, field_name: str | None = None) -> None:
        checker.add(code, path, f"{where} / {field_name}" if field_name else where, message)

    for key in sorted(set(raw) - _FORM_KEYS):
        add("F003", f"unknown key {key!r}")
    for key in ("form", "version", "level", "waves", "title", "sections"):
        if key not in raw:
            add("F002", f"missing {key!r}")

    expected_id = f"{slug}.{path.parent.name}" if slug else path.parent.name
    if isinstance(form_id, str):
        if slug is not None and not form_id.startswith(f"{slug}."):
            add("F022", f"local form {form_id!r} must be named '{slug}.<name>'")
        elif form_id != expected_id:
            add("F004", f"form {form_id!r} is in the folder for {expected_id!r}")
        if slug is None and form_id not in CORE_FORMS:
            add("F026", f"{form_id!r} is not a core form ({', '.join(CORE_FORMS)})")
    match = VERSION_FILE_RE.match(path.name)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        add("F005", f"version must be a positive whole number, not {version!r}")
    elif not match or int(match.group(1)) != version:
        add("F005", f"version {version} is in file {path.name}")

    if "level" in raw and raw["level"] not in LEVELS:
        add("F006", f"unknown level {raw['level']!r}; use one of {', '.join(LEVELS)}")
    waves = raw.get("waves")
    if "waves" in raw and (not isinstance(waves, list) or not waves):
        add("F025", "waves must be a non-empty list")
        waves = []
    for wave in waves or []:
        if wave not in WAVES:
            add("F007", f"unknown wave {wave!r}; use one of {', '.join(WAVES)}")
    if "title" in raw and not _text_ok(raw["title"]):
        add("F008", "title needs da and en")
    if "help" in raw and not _text_ok(raw["help"]):
        add("F008", "help needs da and en")

    sections = raw.get("sections")
    if "sections" in raw and (not isinstance(sections, list) or not sections):
        add("F025", "sections must be a non-empty list")
        sections = []
    fields: list[tuple[dict[str, Any], str]] = []
    section_ids: set[str] = set()
    for index, section in enumerate(sections or []):
        if not isinstance(section, dict):
            add("F025", f"sections[{index}] must be a mapping")
            continue
        for key in sorted(set(section) - _SECTION_KEYS):
            add("F003", f"unknown key {key!r} in section {section.get('id', index)}")
        sid = section.get("id")
        if not isinstance(sid, str) or not NAME_RE.match(sid):
            add("F023", f"section id {sid!r} is not a lower-case identifier")
        elif sid in section_ids:
            add("F011", f"section id {sid!r} used twice")
        section_ids.add(str(sid))
        if "title" in section and not _text_ok(section["title"]):
            add("F008", f"title of section {sid} needs da and en")
        section_fields = section.get("fields")
        if not isinstance(section_fields, list) or not section_fields:
            add("F025", f"section {sid} needs a non-empty list of fields")
            continue
        for item in section_fields:
            if not isinstance(item, dict):
                add("F025", f"a field in section {sid} is not a mapping")
                continue
            fields.append((item, str(sid)))

    names: list[str] = [f.get("name") for f, _ in fields if isinstance(f.get("name"), str)]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        add("F011", f"field name {duplicate!r} is used {names.count(duplicate)} times", duplicate)
    used_codelists: dict[str, dict[str, Any]] = {}
    for item, _sid in fields:
        _check_field(item, names, slug, codelists, core_names, used_codelists, add)
    checks = check_definitions(raw.get("checks"), [f for f, _ in fields], codelists, add)

    if len(checker.problems) > before:
        return None
    normalised = {
        "form": form_id,
        "version": version,
        "level": raw["level"],
        "waves": list(raw["waves"]),
        "title": raw["title"],
        "sections": [
            {
                "id": s["id"],
                **({"title": s["title"]} if "title" in s else {}),
                "fields": [_normalise_field(f) for f in s["fields"]],
            }
            for s in raw["sections"]
        ],
        "codelists": used_codelists,
    }
    if "help" in raw:
        normalised["help"] = raw["help"]
    if checks:
        normalised["checks"] = checks
    return normalised


def check_local_definition(
    raw: dict[str, Any],
    slug: str,
    catalogue: Catalogue,
    codelists: dict[str, dict[str, Any]],
    root: Path,
) -> FormDef:
    """Check one local definition held in memory, as the folder's checks would check its
    file ``forms/local/<slug>/<name>/v<N>.yaml``: against *catalogue*'s core variables and
    code lists, plus its own *codelists*. Raises :class:`DefinitionError`.

    A definition converted from another format (an XLSForm) is checked here, by the same
    rules as every file, rather than by a second checker.
    """
    checker = _Checker(root)
    name = str(raw.get("form", "")).split(".", 1)[-1]
    path = root / "local" / slug / name / f"v{raw.get('version')}.yaml"
    core_names = {
        f.name for form in catalogue.forms.values() if not form.is_local for f in form.fields
    }
    own: dict[str, dict[str, Any]] = {}
    for list_name, data in sorted(codelists.items()):
        # The municipality's own lists kept in the folder may be given again; never a
        # core list, nor another municipality's.
        if list_name in catalogue.codelists and not list_name.startswith(f"{slug}."):
            checker.add("F013", path, str(raw.get("form")), f"{list_name!r} is a core code list")
            continue
        checked = _checked_codelist(checker, root / "codelists" / f"{list_name}.yaml", data)
        if checked is not None:
            own[list_name] = checked
    normalised = _form(checker, path, raw, slug, {**catalogue.codelists, **own}, core_names)
    if checker.problems or normalised is None:
        raise DefinitionError(checker.problems)
    return FormDef.from_dict(normalised)
