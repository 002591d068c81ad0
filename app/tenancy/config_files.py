"""Municipalities as reviewable configuration: reading and checking ``municipalities/*.toml``.

A file is checked completely before anything is written; every problem is reported with
the file, the key and the reason, so a reviewer can fix a pull request without running it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.tenancy.models import TEAM_MODELS
from app.tenancy.settings_spec import TABLES, in_table
from app.tenancy.sso_settings import parse_sso

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
CODE_RE = re.compile(r"^[0-9]{4}$")
DEPARTMENT_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LOCAL_FORM_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$")
#: First URL segments the platform uses itself; a municipality slug must not shadow them.
RESERVED_SLUGS = frozenset(
    {
        "login",
        "logout",
        "account",
        "password",
        "language",
        "operator",
        "research",
        "api",
        "static",
        "healthz",
        "readyz",
        "admin",
        "favicon.ico",
        "tilgaengelighed",
        "robots.txt",
        "svar",
    }
)


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


class ConfigFileError(Exception):
    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class DepartmentConfig:
    code: str
    name_da: str
    name_en: str


@dataclass
class MunicipalityConfig:
    """One municipality as its file describes it, checked."""

    source: str
    code: str
    slug: str
    name_da: str
    name_en: str
    programme_name: str
    team_model: str
    departments: list[DepartmentConfig]
    settings: dict[str, Any] = field(default_factory=dict)


_TOP_LEVEL = {
    "code",
    "slug",
    "name_da",
    "name_en",
    "programme",
    "team_model",
    "departments",
    "forms",
    "sso",
    "accessibility",
    "targets",
    "plan_phases",
    *TABLES,
}


def load_directory(directory: Path) -> list[MunicipalityConfig]:
    """Read and check every ``*.toml`` in *directory*; raise with all problems at once."""
    files = sorted(directory.glob("*.toml"))
    problems: list[ConfigProblem] = []
    configs: list[MunicipalityConfig] = []
    if not files:
        problems.append(ConfigProblem(str(directory), "-", "no municipality files (*.toml)"))
    for path in files:
        try:
            configs.append(load_file(path))
        except ConfigFileError as exc:
            problems.extend(exc.problems)
    for key in ("code", "slug"):
        seen: dict[str, str] = {}
        for config in configs:
            value = getattr(config, key)
            if value in seen:
                problems.append(
                    ConfigProblem(config.source, key, f"{value!r} is also used by {seen[value]}")
                )
            seen[value] = config.source
    if problems:
        raise ConfigFileError(problems)
    return configs


def load_file(path: Path) -> MunicipalityConfig:
    source = _display_name(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError([ConfigProblem(source, "-", f"not valid TOML: {exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError([ConfigProblem(source, "-", "not UTF-8 text")]) from exc
    return parse(data, source=source, expected_slug=path.stem)


def parse(data: dict[str, Any], *, source: str, expected_slug: str | None) -> MunicipalityConfig:
    problems: list[ConfigProblem] = []

    def problem(key: str, reason: str) -> None:
        problems.append(ConfigProblem(source, key, reason))

    for key in sorted(set(data) - _TOP_LEVEL):
        problem(key, "unknown key")

    def text(key: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = data.get(key)
        if value is None:
            problem(key, "missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            problem(key, "must be a non-empty string")
            return ""
        if pattern and not pattern.match(value):
            problem(key, f"{value!r} is not {what}")
        return value.strip()

    code = text("code", CODE_RE, "a 4-digit Danmarks Statistik municipality code")
    slug = text("slug", SLUG_RE, "an ASCII slug (a-z, 0-9, -)")
    if slug in RESERVED_SLUGS:
        problem("slug", f"{slug!r} is reserved for the platform's own pages")
    if slug and expected_slug and slug != expected_slug:
        problem("slug", f"{slug!r} does not match the file name {expected_slug!r}")
    name_da = text("name_da")
    name_en = text("name_en")
    programme = text("programme")
    team_model = text("team_model")
    if team_model and team_model not in TEAM_MODELS:
        problem(
            "team_model",
            f"unknown team model {team_model!r}; use one of: {', '.join(TEAM_MODELS)}",
        )

    settings: dict[str, Any] = {}
    for table in TABLES:
        raw = data.get(table, {})
        if not isinstance(raw, dict):
            problem(table, "must be a table")
            raw = {}
        known = {s.key for s in in_table(table)}
        for key in sorted(set(raw) - known):
            problem(f"{table}.{key}", "unknown key")
        values: dict[str, Any] = {}
        for spec in in_table(table):
            value = raw.get(spec.key, spec.default)
            if not spec.accepts(value):
                problem(spec.name, f"{value!r} is not allowed; expected {spec.allowed()}")
            values[spec.key] = value
        settings[table] = values

    departments = _departments(data.get("departments"), problem)

    forms = data.get("forms", {})
    local_forms: list[str] = []
    if not isinstance(forms, dict):
        problem("forms", "must be a table")
    else:
        for key in sorted(set(forms) - {"local"}):
            problem(f"forms.{key}", "unknown key")
        local_forms = forms.get("local", [])
        if not isinstance(local_forms, list) or not all(isinstance(f, str) for f in local_forms):
            problem("forms.local", "must be a list of form ids")
            local_forms = []
        for form_id in local_forms:
            if not LOCAL_FORM_RE.match(form_id) or form_id.split(".", 1)[0] != slug:
                problem(
                    "forms.local",
                    f"{form_id!r} is not a local form of this municipality "
                    f"(expected '{slug}.<name>')",
                )
    settings["local_forms"] = sorted(set(local_forms))
    sso = parse_sso(data.get("sso"), problem)
    if sso is not None:
        settings["sso"] = sso
    targets = _targets(data.get("targets"), problem)
    if targets:
        settings["targets"] = targets
    phases = _plan_phases(data.get("plan_phases"), problem)
    if phases:
        settings["plan_phases"] = phases
    contact = _accessibility_contact(data.get("accessibility"), problem)
    if contact:
        settings["accessibility"] = {"contact": contact}

    if problems:
        raise ConfigFileError(problems)
    return MunicipalityConfig(
        source=source,
        code=code,
        slug=slug,
        name_da=name_da,
        name_en=name_en,
        programme_name=programme,
        team_model=team_model,
        departments=departments,
        settings=settings,
    )


#: The indicator ids a target may name. The reports, above this package, register where
#: they come from (app/reports/targets.py); before they do, any id of the right shape passes.
_INDICATOR_IDS: list[Callable[[], set[str]]] = []
TARGET_COMPARISONS = ("at_least", "at_most")


def register_indicator_ids(source: Callable[[], set[str]]) -> None:
    _INDICATOR_IDS[:] = [source]


def _tables(
    raw: Any, name: str, keys: set[str], problem: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each table of an optional ``[[name]]`` list with where it is, unknown keys refused."""
    if raw is None:
        return
    if not isinstance(raw, list):
        problem(name, f"must be a list of [[{name}]] tables")
        return
    for index, item in enumerate(raw):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            problem(where, "must be a table")
            continue
        for key in sorted(set(item) - keys):
            problem(f"{where}.{key}", "unknown key")
        yield where, item


def _targets(raw: Any, problem: Any) -> list[dict[str, Any]]:
    """``[[targets]]``: what the programme set out to reach, shown beside the figures."""
    known = _INDICATOR_IDS[0]() if _INDICATOR_IDS else None
    found = []
    for where, item in _tables(raw, "targets", {"indicator", *TARGET_COMPARISONS, "by"}, problem):
        indicator = item.get("indicator")
        if not isinstance(indicator, str) or (known is not None and indicator not in known):
            problem(f"{where}.indicator", f"{indicator!r} is not an indicator (docs/indicators.md)")
            continue
        given = [c for c in TARGET_COMPARISONS if c in item]
        if len(given) != 1:
            problem(where, "give one of at_least or at_most")
            continue
        value = item[given[0]]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problem(f"{where}.{given[0]}", f"{value!r} is not a number above 0")
            continue
        by = item.get("by")
        if by is not None and not isinstance(by, date):
            problem(f"{where}.by", f"{by!r} is not a date (YYYY-MM-DD, unquoted)")
            continue
        found.append(
            {
                "indicator": indicator,
                "comparison": given[0],
                "value": value,
                "by": by.isoformat() if by is not None else None,
            }
        )
    return found


def _plan_phases(raw: Any, problem: Any) -> list[dict[str, str]]:
    """``[[plan_phases]]``: the focus of phase 1, 2, … in order.

    Their number is not tied to ``joint_plan.phases``: an admin may change that on the
    settings page, and plans made before keep their own number of phases, so a phase
    beyond the list has no focus and a text beyond the phases is kept, unused."""
    found = []
    for where, item in _tables(raw, "plan_phases", {"focus_da", "focus_en"}, problem):
        texts = {}
        for language in ("da", "en"):
            value = item.get(f"focus_{language}")
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                problem(f"{where}.focus_{language}", "must be a text of 1-200 characters")
            else:
                texts[language] = value.strip()
        if len(texts) == 2:
            found.append(texts)
    return found


#: Where people write about the accessibility statement: an e-mail address or a web page.
CONTACT_RE = re.compile(r"^(?:[^@\s]+@[^@\s]+\.[a-z]{2,}|https://\S+)$")


def _accessibility_contact(raw: Any, problem: Any) -> str | None:
    """``[accessibility] contact``: shown in the accessibility statement (/tilgaengelighed)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problem("accessibility", "must be a table")
        return None
    for key in sorted(set(raw) - {"contact"}):
        problem(f"accessibility.{key}", "unknown key")
    contact = raw.get("contact")
    if not isinstance(contact, str) or not CONTACT_RE.match(contact.strip()):
        problem(
            "accessibility.contact", f"{contact!r} is not an e-mail address or an https:// address"
        )
        return None
    return contact.strip()


def _departments(raw: Any, problem: Any) -> list[DepartmentConfig]:
    if raw is None:
        problem("departments", "missing; list at least one [[departments]]")
        return []
    if not isinstance(raw, list) or not raw:
        problem("departments", "must be a non-empty list of [[departments]] tables")
        return []
    result: list[DepartmentConfig] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"departments[{index}]"
        if not isinstance(item, dict):
            problem(where, "must be a table")
            continue
        for key in sorted(set(item) - {"code", "name_da", "name_en"}):
            problem(f"{where}.{key}", "unknown key")
        values = {}
        for key in ("code", "name_da", "name_en"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                problem(f"{where}.{key}", "missing or empty")
                value = ""
            values[key] = value.strip()
        if values["code"] and not DEPARTMENT_CODE_RE.match(values["code"]):
            problem(f"{where}.code", f"{values['code']!r} is not a code (a-z, 0-9, _)")
        if values["code"] in seen:
            problem(f"{where}.code", f"{values['code']!r} is listed twice")
        seen.add(values["code"])
        result.append(DepartmentConfig(**values))
    return result


def _display_name(path: Path) -> str:
    """The file as a reviewer knows it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
