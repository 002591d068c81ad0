"""Form definitions and code lists in memory.

A definition arrives as YAML (``forms/``) or as a published snapshot (the database); both
are the same plain dict, normalised by :mod:`app.definitions.loader`, and read through the
classes here. A snapshot embeds the code lists it uses, so an old submission renders with
the labels and codes of the version it answered, whatever the files say today.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.definitions import conditions
from app.definitions.bilingual import Text, pick
from app.definitions.fields import FieldType, get_field_type

LEVELS = ("family", "adult", "child")
WAVES = ("intake", "follow_up", "exit")


@dataclass(frozen=True)
class Code:
    code: str
    label: Text
    valid_from: date | None = None
    valid_to: date | None = None
    #: Extra facts about the code, e.g. ``self_supporting: true`` for income support.
    attributes: dict[str, Any] = field(default_factory=dict)

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class CodeList:
    name: str
    title: Text
    codes: tuple[Code, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeList:
        return cls(
            name=data["codelist"],
            title=data.get("title", {}),
            codes=tuple(
                Code(
                    code=str(c["code"]),
                    label=c["label"],
                    valid_from=_date(c.get("valid_from")),
                    valid_to=_date(c.get("valid_to")),
                    attributes=c.get("attributes", {}),
                )
                for c in data["codes"]
            ),
        )

    def get(self, code: str) -> Code | None:
        return next((c for c in self.codes if c.code == code), None)

    def choosable(self, day: date, keep: list[str] | tuple[str, ...] = ()) -> list[Code]:
        """Codes that may be chosen for a new answer on *day*, plus those already answered."""
        return [c for c in self.codes if c.valid_on(day) or c.code in keep]

    def label(self, code: str, language: str) -> str:
        found = self.get(code)
        return pick(found.label, language) if found else code


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: Text
    help: Text = field(default_factory=dict)
    required: bool = False
    #: A number, or "current_year" for a bound that moves with the calendar.
    min: float | str | None = None
    max: float | str | None = None
    pattern: str | None = None
    codelist: str | None = None
    show_if: str | None = None
    #: Parsed ``show_if``; the browser receives the same tree.
    condition: dict[str, Any] | None = None
    identifying: bool = False
    free_text: bool = False
    unit: Text = field(default_factory=dict)
    compute: str | None = None
    anchors: dict[int, Text] = field(default_factory=dict)
    decimals: int | None = None
    section: str = ""

    @property
    def kind(self) -> FieldType:
        """The field's type, which knows how its answers are checked, shown and exported."""
        return get_field_type(self.type)

    @property
    def privacy(self) -> str | None:
        """``identifying``, ``free_text`` or None: what a package and a purge do with it."""
        return self.kind.privacy_of(self)

    def bounds(self, today: date) -> tuple[float | None, float | None]:
        def resolve(value: float | str | None) -> float | None:
            return today.year if value == "current_year" else value  # type: ignore[return-value]

        return resolve(self.min), resolve(self.max)

    def visible(self, answers: dict[str, Any]) -> bool:
        return self.condition is None or conditions.evaluate(self.condition, answers)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    fields: tuple[FieldDef, ...]


@dataclass(frozen=True)
class Check:
    """A data-quality rule of a form (:mod:`app.definitions.checks` checks and runs it)."""

    id: str
    when: str
    severity: str
    fields: tuple[str, ...]
    message: Text
    #: The parsed ``when``.
    condition: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        return cls(
            id=data["id"],
            when=data["when"],
            severity=data["severity"],
            fields=tuple(data["fields"]),
            message=data["message"],
            condition=conditions.parse(data["when"]),
        )


@dataclass(frozen=True)
class FormDef:
    form_id: str
    version: int
    level: str
    waves: tuple[str, ...]
    title: Text
    help: Text
    sections: tuple[Section, ...]
    codelists: dict[str, CodeList]
    #: Data-quality rules over the answers; outside the content hash (see content_hash).
    checks: tuple[Check, ...] = ()
    #: The normalised dict this was built from; stored as the snapshot.
    data: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def fields(self) -> list[FieldDef]:
        return [f for s in self.sections for f in s.fields]

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def is_local(self) -> bool:
        return "." in self.form_id

    @property
    def namespace(self) -> str | None:
        return self.form_id.split(".", 1)[0] if self.is_local else None

    @property
    def content_hash(self) -> str:
        return questions_hash(self.data)

    @property
    def checks_hash(self) -> str:
        return content_hash({"checks": self.data.get("checks", [])})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormDef:
        codelists = {name: CodeList.from_dict(c) for name, c in data.get("codelists", {}).items()}
        sections = []
        for section in data["sections"]:
            fields = []
            for f in section["fields"]:
                show_if = f.get("show_if")
                fields.append(
                    FieldDef(
                        name=f["name"],
                        type=f["type"],
                        label=f.get("label", {}),
                        help=f.get("help", {}),
                        required=bool(f.get("required", False)),
                        min=f.get("min"),
                        max=f.get("max"),
                        pattern=f.get("pattern"),
                        codelist=f.get("codelist"),
                        show_if=show_if,
                        condition=conditions.parse(show_if) if show_if else None,
                        identifying=bool(f.get("identifying", False)),
                        free_text=bool(f.get("free_text", False)),
                        unit=f.get("unit", {}),
                        compute=f.get("compute"),
                        anchors={int(k): v for k, v in f.get("anchors", {}).items()},
                        decimals=f.get("decimals"),
                        section=section["id"],
                    )
                )
            sections.append(Section(section["id"], section.get("title", {}), tuple(fields)))
        return cls(
            form_id=data["form"],
            version=int(data["version"]),
            level=data["level"],
            waves=tuple(data["waves"]),
            title=data.get("title", {}),
            help=data.get("help", {}),
            sections=tuple(sections),
            codelists=codelists,
            checks=tuple(Check.from_dict(c) for c in data.get("checks", [])),
            data=data,
        )


def questions_hash(data: dict[str, Any]) -> str:
    """The content hash of a definition's questions, without its data-quality checks.

    The checks judge answers when they are saved; they do not change what a question asks
    or what a stored answer means, so they may change in an answered version.
    """
    return content_hash({k: v for k, v in data.items() if k != "checks"})


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: the same definition always hashes the same."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
