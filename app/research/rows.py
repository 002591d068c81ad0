"""What a study may receive: the selection of granted municipalities and what the study
may see of them (:mod:`app.research.scope`), and how many rows a package reads at a time.

The tables themselves are SQL statements over this selection (:mod:`app.research.wide`
for the answers, :mod:`app.research.tables` for plan goals and waves): what leaves is
decided by the scope's criteria in each statement (research consent, grant period,
approved and granted waves and forms, free text only where allowed), the same criteria
the indicators use. The parsed definitions kept here serve Python readers of the same
selection (the reference writer of the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.collection.models import FormVersion
from app.core.db import db
from app.definitions.model import FieldDef, FormDef
from app.research.models import Study
from app.research.scope import GrantScope, StudyScope, study_scope
from app.tenancy.models import Municipality

#: Rows read from the database at a time, and how often a package reports its progress.
BATCH = 1000


def batch_size() -> int:
    """:data:`BATCH`, unless ``EXPORT_BATCH_ROWS`` says otherwise (a test makes a small
    study report its progress while it reads, as a large one does)."""
    return int(current_app.config.get("EXPORT_BATCH_ROWS", BATCH))


@dataclass
class Selection:
    """What the study may receive: granted municipalities and the study's scope."""

    study: Study
    municipalities: dict[int, Municipality]
    scope: StudyScope
    #: Parsed snapshots, by form version id: read and parsed once per export. Selecting
    #: the definition with every answer row made decoding it most of an export's time.
    forms: dict[int, FormDef] = field(default_factory=dict)

    #: form version id -> (its questions by their qualified name, the prefix of its answers)
    questions: dict[int, tuple[dict[str, FieldDef], str]] = field(default_factory=dict)
    #: How each combination of versions fills a table's columns (see _merge).
    plans: dict[tuple[Any, ...], list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def grants(self) -> Mapping[int, GrantScope]:
        """municipality id -> what its grant lets the study see"""
        return self.scope.grants

    def form(self, form_version_id: int) -> FormDef:
        if form_version_id not in self.forms:
            version = db.session.get(FormVersion, form_version_id)
            assert version is not None  # a foreign key of the submission
            self.forms[form_version_id] = FormDef.from_dict(version.definition)
        return self.forms[form_version_id]

    def asked(self, form_version_id: int) -> tuple[dict[str, FieldDef], str]:
        """A version's questions under their column names, and its answers' prefix.

        Local questions are namespaced (``brondby.x``); core ones are not.
        """
        if form_version_id not in self.questions:
            form = self.form(form_version_id)
            prefix = f"{form.namespace}." if form.is_local else ""
            self.questions[form_version_id] = (
                {f"{prefix}{fdef.name}": fdef for fdef in form.fields},
                prefix,
            )
        return self.questions[form_version_id]


def selection_for(study: Study) -> Selection:
    scope = study_scope(study.id)
    municipalities = {
        m.id: m
        for m in db.session.scalars(
            select(Municipality).where(Municipality.id.in_(scope.municipality_ids))
        )
    }
    return Selection(study, municipalities, scope)
