"""The research package's columns: pseudonyms, the missing-value codes and the variables.

Family, person and goal ids leave as keyed HMAC pseudonyms of the study, and dates as
months since enrolment; the variables of each table are planned from every published
version of its forms, never from the data. These are the vocabulary both the rows and
the schemas of the package are written in, so they live apart from either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.collection.models import FormVersion
from app.definitions.fields import FREE_TEXT
from app.definitions.fields.dates import months_between as months_between  # for the rows
from app.definitions.loader import CORE_FORMS
from app.definitions.model import FieldDef, FormDef

#: Missing-value codes, declared in every Table Schema.
NOT_ANSWERED = ""
NOT_IN_VERSION = "NV"
NOT_SHARED = "NS"
#: A wave staff recorded as not collectable (``Wave.missed_reason``): every answer cell of
#: the forms it expected carries the reason's code instead of an answer.
MISSED_CODES = {
    "declined": "M_DECLINED",
    "moved": "M_MOVED",
    "not_reached": "M_NOT_REACHED",
    "exited_early": "M_EXITED_EARLY",
    "other": "M_OTHER",
}
MISSED_CODE_TEXTS = {
    "M_DECLINED": "the wave was not collected: the family declined",
    "M_MOVED": "the wave was not collected: the family moved away",
    "M_NOT_REACHED": "the wave was not collected: the family could not be reached",
    "M_EXITED_EARLY": "the wave was not collected: the family left the programme early",
    "M_OTHER": "the wave was not collected, for another reason",
}
MISSING_VALUES = [NOT_ANSWERED, NOT_IN_VERSION, NOT_SHARED, *MISSED_CODES.values()]

LEVEL_TABLES = {"family": "families", "adult": "adults", "child": "children"}


def pseudonym(key: str, kind: str, object_id: int) -> str:
    digest = hmac.new(key.encode(), f"{kind}:{object_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


class Pseudonyms:
    """``pseudonym`` for one key, a few hundred thousand times over.

    Copying a keyed HMAC is about twice as fast as keying a new one; the values are the
    same as ``pseudonym``'s.
    """

    def __init__(self, key: str) -> None:
        self._keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def __call__(self, kind: str, object_id: int) -> str:
        digest = self._keyed.copy()
        digest.update(f"{kind}:{object_id}".encode())
        return digest.hexdigest()[:16]


# -- the variables ----------------------------------------------------------------------------


@dataclass
class Variable:
    name: str
    table: str
    type: str  # Table Schema type
    label: dict[str, str]
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    free_text: bool = False
    source: FieldDef | None = None
    multiple: bool = False

    @property
    def description(self) -> str:
        return f"{self.label.get('en', '')} / {self.label.get('da', '')}"


def plan_variables(
    versions: Iterable[FormVersion], local_namespace: str | None = None
) -> dict[str, list[Variable]]:
    """Per table, the answer columns from every published version of its forms."""
    tables: dict[str, dict[str, Variable]] = {t: {} for t in LEVEL_TABLES.values()}
    for version in sorted(versions, key=lambda v: (_form_order(v.form_id), v.version)):
        form: FormDef = version.form
        table = LEVEL_TABLES[form.level]
        for fdef in form.fields:
            if fdef.identifying:
                continue
            name = f"{form.namespace}.{fdef.name}" if form.is_local else fdef.name
            variable = tables[table].get(name)
            if variable is None:
                variable = tables[table][name] = Variable(
                    name=name,
                    table=table,
                    type=fdef.kind.export_type,
                    label=dict(fdef.label),
                    free_text=fdef.privacy == FREE_TEXT,
                    source=fdef,
                    multiple=fdef.kind.multiple,
                )
            if fdef.codelist:
                for code in form.codelists[fdef.codelist].codes:
                    variable.codes.setdefault(code.code, dict(code.label))
            if version.form_id not in variable.forms:
                variable.forms.append(version.form_id)
            variable.versions.append(f"{version.form_id}:{version.version}")
    return {table: list(columns.values()) for table, columns in tables.items()}


def _form_order(form_id: str) -> int:
    return CORE_FORMS.index(form_id) if form_id in CORE_FORMS else len(CORE_FORMS)
