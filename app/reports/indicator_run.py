"""Running the evaluation indicators: one statement each, over the cohort's copied answers.

:func:`compute` reads the code sets the definitions depend on (:func:`codes`), copies the
cohort's answers into the temporary facts table of :mod:`app.reports.cohort`, runs every
statement of :data:`app.reports.indicators.INDICATORS` and sums nothing itself: the rows
come back per municipality and team model for :mod:`app.reports.figures` to add up and
:mod:`app.reports.disclosure` to protect. It is separate from the registry, which only
defines the indicators, because this is the part that talks to the database.
"""

from __future__ import annotations

from sqlalchemy import select

from app.collection.models import FormVersion
from app.core.db import db
from app.reports.cohort import Codes, Cohort, _drop_facts, _fill_facts
from app.reports.indicators import INDICATORS


def codes() -> Codes:
    """Self-supporting and income-support codes from every published version's code list."""
    self_supporting: set[str] = set()
    support: set[str] = set()
    for version in db.session.scalars(
        select(FormVersion).where(FormVersion.form_id.in_(("adult_intake", "adult_follow_up")))
    ):
        codelist = version.form.codelists.get("income_support")
        for code in codelist.codes if codelist else ():
            flag = code.attributes.get("self_supporting")
            if flag is True:
                self_supporting.add(code.code)
            elif flag is False:
                support.add(code.code)
    return Codes(tuple(sorted(self_supporting)), tuple(sorted(support)))


#: (municipality id, team model) -> (n, numerator or sum)
Raw = dict[tuple[int, str], tuple[int, float]]


def compute(cohort: Cohort) -> dict[str, Raw]:
    """Every indicator's figures per municipality and team model: one statement each."""
    found = codes()
    results: dict[str, Raw] = {}
    _fill_facts(cohort)
    try:
        for indicator in INDICATORS:
            rows = db.session.execute(indicator.statement(cohort, found)).all()
            results[indicator.id] = {
                (row.municipality_id, row.team_model): (int(row.n or 0), float(row.value or 0))
                for row in rows
            }
    finally:
        _drop_facts()
    return results
