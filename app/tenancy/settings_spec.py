"""The settings spec: every setting a municipality may change, described once.

A setting is a key in one of the optional tables of ``municipalities/<slug>.toml``
(``[follow_up] interval_months = 6``). Everything that reads, writes or describes
settings goes through :data:`SETTINGS_SPEC`: the file check and ``sync``, ``export``, the
admin settings page, the API document and the code that needs a value. A table or key
added here appears in all of them; a copy written by hand once dropped ``[privacy]`` from
the export, and the next sync reset the retention period to its default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One key of one table: what it holds, its default, its bounds and its texts."""

    table: str
    key: str
    #: ``int`` or ``bool``; TOML and JSON hold both natively.
    kind: type[int] | type[bool]
    default: int | bool
    #: The label on the admin page (an English msgid; the Danish is in the catalogue).
    label: LazyString
    #: What a change does to families already enrolled, said before saving (under the
    #: field) and after (in the success message); read from what the code does.
    effect_on_enrolled: LazyString
    help: LazyString | None = None
    #: Inclusive bounds of a whole number.
    minimum: int | None = None
    maximum: int | None = None
    #: What the number counts, for the file check's message ("months", "days").
    unit: str = ""

    @property
    def name(self) -> str:
        """How a reviewer names it: ``follow_up.interval_months``."""
        return f"{self.table}.{self.key}"

    @property
    def is_switch(self) -> bool:
        return self.kind is bool

    def accepts(self, value: Any) -> bool:
        # bool is a subclass of int in Python; TOML true must not pass as 1, nor 1 as true.
        if type(value) is not self.kind:
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    def allowed(self) -> str:
        """What may be written, in the words of the file check (English, for reviewers)."""
        if self.is_switch:
            return "true or false"
        return f"a whole number of {self.unit}, {self.minimum}-{self.maximum}"

    def json_schema(self) -> dict[str, Any]:
        if self.is_switch:
            return {"type": "boolean"}
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


#: The heading of each table, in the order the admin page and the export show them.
TABLES: dict[str, LazyString] = {
    "follow_up": _l("Follow-up"),
    "joint_plan": _l("Joint plan"),
    "access": _l("Access"),
    "privacy": _l("Personal data"),
}

SETTINGS_SPEC: tuple[Setting, ...] = (
    Setting(
        table="follow_up",
        key="interval_months",
        kind=int,
        default=6,
        minimum=1,
        maximum=24,
        unit="months",
        label=_l("Months between follow-ups"),
        effect_on_enrolled=_l(
            "Only families enrolled from now on get the new schedule. Families already "
            "enrolled keep their follow-ups and due dates."
        ),
    ),
    Setting(
        table="follow_up",
        key="window_days",
        kind=int,
        default=30,
        minimum=0,
        maximum=180,
        unit="days",
        label=_l("Window around each due date (days)"),
        effect_on_enrolled=_l(
            "Only families enrolled from now on get the new window. Families already enrolled "
            "keep theirs, unless their enrolment date is corrected or their exit is started: "
            "then the new window is used for them."
        ),
    ),
    Setting(
        table="follow_up",
        key="count",
        kind=int,
        default=4,
        minimum=1,
        maximum=40,
        unit="follow-ups",
        label=_l("Number of follow-ups"),
        effect_on_enrolled=_l(
            "Only families enrolled from now on get the new number of follow-ups. Families "
            "already enrolled keep the follow-ups they have."
        ),
    ),
    Setting(
        table="joint_plan",
        key="phases",
        kind=int,
        default=1,
        minimum=1,
        maximum=12,
        unit="phases",
        label=_l("Phases of the joint plan"),
        effect_on_enrolled=_l(
            "Only plans of families enrolled from now on get the new phases. Plans already "
            "made keep theirs."
        ),
    ),
    Setting(
        table="joint_plan",
        key="phase_months",
        kind=int,
        default=6,
        minimum=1,
        maximum=36,
        unit="months",
        label=_l("Months per phase"),
        effect_on_enrolled=_l(
            "Only plans of families enrolled from now on get the new length. Plans already "
            "made keep theirs."
        ),
    ),
    Setting(
        table="access",
        key="external_contacts",
        kind=bool,
        default=False,
        label=_l("The family's contact person may be external"),
        effect_on_enrolled=_l(
            "Applies when a contact person is chosen from now on. External contact persons "
            "already on a family's team stay until they are taken off the team."
        ),
    ),
    Setting(
        table="access",
        key="joint_team_sees_all",
        kind=bool,
        default=False,
        label=_l("In single entry, the whole joint team sees all programme families"),
        effect_on_enrolled=_l(
            "Applies at once to every single-entry family, also those already enrolled."
        ),
    ),
    Setting(
        # Months after a family's exit before names, CPR numbers and free text are
        # removed; the pseudonymised answers stay for the evaluation.
        table="privacy",
        key="retention_months",
        kind=int,
        default=60,
        minimum=1,
        maximum=600,
        unit="months",
        label=_l(
            "Months after a family's exit before its names, CPR numbers and free text are removed"
        ),
        help=_l(
            "The answers stay, pseudonymised, for the evaluation. The operator removes what is "
            "due at regular intervals; ask the operator if it cannot wait."
        ),
        effect_on_enrolled=_l(
            "Applies to every family that has left the programme, also those that left "
            "before the change, the next time what is due is removed."
        ),
    ),
)

_BY_NAME = {(s.table, s.key): s for s in SETTINGS_SPEC}
# The admin form names its fields by key alone, so a key may be used in one table only.
if len({s.key for s in SETTINGS_SPEC}) != len(SETTINGS_SPEC):
    raise RuntimeError("a settings key is used in two tables")
if {s.table for s in SETTINGS_SPEC} != set(TABLES):
    raise RuntimeError("every settings table needs a heading in TABLES, and a setting")


def setting(table: str, key: str) -> Setting:
    return _BY_NAME[(table, key)]


def in_table(table: str) -> Iterator[Setting]:
    return (s for s in SETTINGS_SPEC if s.table == table)


def setting_value(settings: Mapping[str, Any], table: str, key: str) -> Any:
    """The stored value of one setting, or the spec's default where none is stored."""
    stored = settings.get(table) or {}
    return stored.get(key, setting(table, key).default)


def tables(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every table of the spec with every key's value (stored or default), in spec order."""
    return {t: {s.key: setting_value(settings, t, s.key) for s in in_table(t)} for t in TABLES}


def defaults() -> dict[str, dict[str, Any]]:
    return tables({})


def json_schema() -> dict[str, Any]:
    """The settings tables as JSON Schema properties (the API document's ``Settings``)."""
    return {
        table: {
            "type": "object",
            "required": [s.key for s in in_table(table)],
            "additionalProperties": False,
            "properties": {s.key: s.json_schema() for s in in_table(table)},
        }
        for table in TABLES
    }


def markdown_table() -> str:
    """The reference table of ``docs/municipalities.md``; a test keeps the two in step.

    The document is in English, so the texts are English whatever the request's language.
    """
    with force_locale("en"):
        return _markdown_rows()


def _markdown_rows() -> str:
    lines = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS_SPEC:
        kind = "boolean" if s.is_switch else "integer"
        default = str(s.default).lower()
        allowed = "`true` or `false`" if s.is_switch else f"{s.minimum}–{s.maximum} {s.unit}"
        meaning = str(s.label) + (f". {s.help}" if s.help else "")
        meaning += f". {s.effect_on_enrolled}"
        lines.append(f"| `{s.name}` | {kind} | `{default}` | {allowed} | {meaning} |")
    return "\n".join(lines) + "\n"
