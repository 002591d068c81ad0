"""What a study may see is stated once (app/research/scope.py), and the research package
and the indicators read the same families, people, waves and forms under every condition
of consent, grant and wave approval.

Each condition is also checked against the rules written out here in Python, so the two
readers cannot agree on a wrong answer.
"""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.collection.models import Submission
from app.core.db import db
from app.definitions.loader import CORE_FORMS
from app.families.models import Family, Member, Wave
from app.families.services import add_member, enrol_family
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.reports.cohort import FACT_FORMS, _drop_facts, _fill_facts, facts_table
from app.reports.figures import study_cohort
from app.reports.indicator_run import compute
from app.research.models import Grant
from app.research.services import export_package, grant_study, revoke_grant, set_wave_approval
from app.research.variables import LEVEL_TABLES, Pseudonyms
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.research import fill_wave, make_study

SLUGS = ("jammerbugt", "vejle", "brondby")
ENROLMENTS = (date(2026, 1, 5), date(2026, 2, 10), date(2026, 3, 20), date(2026, 4, 25))
ALL_KINDS = ("intake", "follow_up", "exit")
#: (family, member or None, wave key, form id) of one submitted answer to a form the
#: indicators read
Answer = tuple[int, int | None, str, str]


@dataclass(frozen=True)
class Condition:
    """A study's grants and the municipalities' wave approvals."""

    name: str
    #: slug -> the grant's keyword arguments (forms, waves, period_from, period_to)
    grants: dict[str, dict[str, Any]]
    #: slug -> approved wave keys ("follow_up" stands for the first follow-up's key)
    approved: dict[str, tuple[str, ...]]
    #: slugs whose grant is revoked after it is given
    revoked: tuple[str, ...] = ()
    #: slugs whose approvals are given and then reopened
    reopened: tuple[str, ...] = ()
    expect_empty: bool = False


def _grant(
    forms: tuple[str, ...] = tuple(CORE_FORMS),
    waves: tuple[str, ...] = ALL_KINDS,
    period_from: date | None = None,
    period_to: date | None = None,
) -> dict[str, Any]:
    return {
        "forms": list(forms),
        "waves": list(waves),
        "period_from": period_from,
        "period_to": period_to,
    }


BOTH = ("intake", "follow_up")
CONDITIONS = [
    Condition("everything", {s: _grant() for s in SLUGS}, {s: BOTH for s in SLUGS}),
    Condition(
        "intake approved only", {s: _grant() for s in SLUGS}, {s: ("intake",) for s in SLUGS}
    ),
    Condition(
        "follow-ups approved, not granted",
        {s: _grant(waves=("intake", "exit")) for s in SLUGS},
        {s: BOTH for s in SLUGS},
    ),
    Condition(
        "some forms",
        {s: _grant(forms=("family_intake", "adult_follow_up", "child_intake")) for s in SLUGS},
        {s: BOTH for s in SLUGS},
    ),
    Condition(
        "enrolled from",
        {s: _grant(period_from=ENROLMENTS[1]) for s in SLUGS},
        {s: BOTH for s in SLUGS},
    ),
    Condition(
        "enrolled until",
        {s: _grant(period_to=ENROLMENTS[2]) for s in SLUGS},
        {s: BOTH for s in SLUGS},
    ),
    Condition(
        "enrolled within, differently per municipality",
        {
            "jammerbugt": _grant(period_from=ENROLMENTS[1], period_to=ENROLMENTS[2]),
            "vejle": _grant(period_to=ENROLMENTS[0]),
            "brondby": _grant(period_from=ENROLMENTS[3], waves=("follow_up",)),
        },
        {"jammerbugt": BOTH, "vejle": ("intake",), "brondby": ("follow_up",)},
    ),
    Condition("one municipality granted", {"vejle": _grant()}, {s: BOTH for s in SLUGS}),
    Condition(
        "one grant revoked",
        {s: _grant() for s in SLUGS},
        {s: BOTH for s in SLUGS},
        revoked=("brondby",),
    ),
    Condition(
        "approvals reopened",
        {s: _grant() for s in SLUGS},
        {s: BOTH for s in SLUGS},
        reopened=("jammerbugt", "vejle"),
    ),
    Condition("nothing approved", {s: _grant() for s in SLUGS}, {}, expect_empty=True),
    Condition(
        "every grant revoked",
        {s: _grant() for s in SLUGS},
        {s: BOTH for s in SLUGS},
        revoked=SLUGS,
        expect_empty=True,
    ),
]


@dataclass
class Dataset:
    #: family id -> (municipality id, enrolment date, research consent)
    families: dict[int, tuple[int, date, bool]] = field(default_factory=dict)
    #: every submitted answer to a form the indicators read
    answers: set[Answer] = field(default_factory=set)
    #: (family id, wave key, wave kind) of every wave
    waves: set[tuple[int, str, str]] = field(default_factory=set)
    #: municipality id -> the key of its first follow-up
    first_follow_up: dict[int, str] = field(default_factory=dict)


@pytest.fixture
def dataset(municipalities, forms_published) -> Dataset:
    """Four families in each of three municipalities, enrolled on four dates, the second of
    each without research consent; intake and first follow-up answered; one plan goal
    each, with a status at the first follow-up."""
    data = Dataset()
    for slug in SLUGS:
        municipality = municipalities[slug]
        with tenant_scope(municipality):
            for n, enrolment in enumerate(ENROLMENTS):
                family = enrol_family(municipality, f"Familien Omfang{slug}{n}", enrolment)
                add_member(family, "adult", f"Voksen {slug}{n}", enrolment)
                add_member(family, "child", f"Barn {slug}{n}", enrolment)
                consent = n != 1
                for wave in family.waves[:2]:
                    fill_wave(municipality, family, wave, consent=consent)
                plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
                goal = add_goal(plan, 1, "work_education", f"Mål {slug} {n}", None)
                set_goal_status(
                    goal, family.waves[1], "partly", None, today=family.waves[1].due_date
                )
                data.families[family.id] = (municipality.id, enrolment, consent)
                data.first_follow_up[municipality.id] = family.waves[1].key
            db.session.commit()
    with unscoped("test: what was answered"):
        data.answers = {
            (row.family_id, row.member_id, row.key, row.form_id)
            for row in db.session.execute(
                select(Submission.family_id, Submission.member_id, Wave.key, Submission.form_id)
                .join(Wave, Wave.id == Submission.wave_id)
                .where(Submission.status == "submitted", Submission.form_id.in_(FACT_FORMS))
            )
        }
        data.waves = {
            tuple(row) for row in db.session.execute(select(Wave.family_id, Wave.key, Wave.kind))
        }
    return data


def _apply(condition: Condition, municipalities: dict[str, Any], study: Any, data: Dataset) -> None:
    for slug, municipality in municipalities.items():
        follow_up = data.first_follow_up.get(municipality.id)
        for key in ("intake", follow_up):
            if key is not None:
                set_wave_approval(municipality, key, False)
        for key in condition.approved.get(slug, ()):
            set_wave_approval(municipality, follow_up if key == "follow_up" else key, True)
        if slug in condition.reopened:
            for key in ("intake", follow_up):
                set_wave_approval(municipality, key, False)
    for slug, grant in condition.grants.items():
        grant_study(municipalities[slug], study, **grant)
    db.session.commit()
    for slug in condition.revoked:
        with tenant_scope(municipalities[slug]):
            revoke_grant(db.session.scalar(select(Grant).where(Grant.study_id == study.id)))
            db.session.commit()


@dataclass
class Seen:
    answers: set[Answer]
    #: (family id, wave key)
    waves: set[tuple[int, str]]
    #: municipality id -> families
    enrolled: dict[int, int]
    #: families whose plan goals leave
    planned: set[int]


def _expected(condition: Condition, municipalities: dict[str, Any], data: Dataset) -> Seen:
    """The rules, written out: what the study may see."""
    grants, approved = {}, {}
    for slug, grant in condition.grants.items():
        if slug in condition.revoked:
            continue
        municipality_id = municipalities[slug].id
        grants[municipality_id] = grant
        keys = () if slug in condition.reopened else condition.approved.get(slug, ())
        follow_up = data.first_follow_up[municipality_id]
        approved[municipality_id] = {follow_up if k == "follow_up" else k for k in keys}
    kinds = {(family, key): kind for family, key, kind in data.waves}

    def family_seen(family_id: int) -> bool:
        municipality_id, enrolment, consent = data.families[family_id]
        grant = grants.get(municipality_id)
        return (
            grant is not None
            and consent
            and (grant["period_from"] is None or grant["period_from"] <= enrolment)
            and (grant["period_to"] is None or enrolment <= grant["period_to"])
        )

    def wave_seen(family_id: int, key: str) -> bool:
        municipality_id = data.families[family_id][0]
        return (
            family_seen(family_id)
            and key in approved[municipality_id]
            and kinds[(family_id, key)] in grants[municipality_id]["waves"]
        )

    answers = {
        answer
        for answer in data.answers
        if wave_seen(answer[0], answer[2])
        and answer[3] in grants[data.families[answer[0]][0]]["forms"]
    }
    waves = {(family, key) for family, key, _kind in data.waves if wave_seen(family, key)}
    counts: dict[int, int] = {}
    for family_id, (municipality_id, _enrolment, _consent) in data.families.items():
        if family_seen(family_id):
            counts[municipality_id] = counts.get(municipality_id, 0) + 1
    # A goal's row leaves with its status, recorded at the first follow-up: approved is
    # enough, whatever kinds of wave the grant gives.
    planned = {
        family_id
        for family_id, (municipality_id, _enrolment, _consent) in data.families.items()
        if family_seen(family_id)
        and data.first_follow_up[municipality_id] in approved[municipality_id]
    }
    return Seen(answers, waves, counts, planned)


def _package(study: Any, researcher: Any, out: Path) -> tuple[set[Answer], set[tuple], set]:
    """The answers, waves and families with plan goals in the study's package."""
    export_package(study, out, researcher)
    db.session.commit()
    key = Pseudonyms(study.pseudonym_key)
    with unscoped("test: the ids behind the pseudonyms"):
        families = {key("family", i): i for i in db.session.scalars(select(Family.id))}
        people = {key("person", i): i for i in db.session.scalars(select(Member.id))}
    with zipfile.ZipFile(out) as archive:

        def table(name: str) -> list[dict[str, str]]:
            with archive.open(name) as member:
                return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))

        answers = {
            (
                families[row["family_id"]],
                people[row["person_id"]] if "person_id" in row else None,
                row["wave"],
                form.split(":")[0],
            )
            for name in LEVEL_TABLES.values()
            for row in table(f"{name}.csv")
            for form in row["form_versions"].split("; ")
            if form.split(":")[0] in FACT_FORMS
        }
        waves = {(families[row["family_id"]], row["wave"]) for row in table("waves.csv")}
        planned = {families[row["family_id"]] for row in table("plan_goals.csv")}
    return answers, waves, planned


def _indicators(study: Any) -> tuple[set[Answer], set[tuple[int, str]], dict[int, int]]:
    """The answers the indicators read (their facts table), the waves the completeness
    figure reads, and the families enrolled, of the study's report cohort."""
    with unscoped("test: the study's cohort"):
        cohort = study_cohort(study)
        _fill_facts(cohort)
        try:
            answers = {
                (row.family_id, row.member_id, row.key, row.form_id)
                for row in db.session.execute(
                    select(
                        facts_table.c.family_id,
                        facts_table.c.member_id,
                        Wave.key,
                        facts_table.c.form_id,
                    ).join(Wave, Wave.id == facts_table.c.wave_id)
                )
            }
        finally:
            _drop_facts()
        waves = {
            tuple(row)
            for row in db.session.execute(
                select(Wave.family_id, Wave.key)
                .join(Family, Family.id == Wave.family_id)
                .where(cohort.families(), cohort.waves())
            )
        }
        enrolled = {
            municipality_id: n
            for (municipality_id, _team_model), (n, _value) in compute(cohort)[
                "families_enrolled"
            ].items()
        }
    db.session.commit()
    return answers, waves, enrolled


def test_the_package_and_the_indicators_see_the_same_under_every_condition(
    app_ctx, municipalities, dataset, make_user, tmp_path
):
    researcher = make_user(platform_role="researcher", email="omfang@example.org")
    for number, condition in enumerate(CONDITIONS):
        study = make_study(researcher, f"Omfang {number}")
        _apply(condition, {s: municipalities[s] for s in SLUGS}, study, dataset)
        expected = _expected(condition, municipalities, dataset)
        package_answers, package_waves, planned = _package(
            study, researcher, tmp_path / f"{number}.zip"
        )
        fact_answers, cohort_waves, enrolled = _indicators(study)

        assert package_answers == fact_answers == expected.answers, condition.name
        assert package_waves == cohort_waves == expected.waves, condition.name
        assert enrolled == expected.enrolled, condition.name
        assert planned == expected.planned, condition.name
        assert bool(expected.answers) != condition.expect_empty, condition.name


# -- one statement of the scope --------------------------------------------------------------

#: What only app/research/scope.py may spell out: the consent answer, a grant's revocation,
#: and reading the wave approvals.
_SCOPE_WORDS: dict[str, Callable[[ast.AST], bool]] = {
    "the research consent answer": lambda node: (
        isinstance(node, ast.Constant) and node.value == "research_consent"
    ),
    "whether a grant is revoked (Grant.revoked_at)": lambda node: (
        isinstance(node, ast.Attribute)
        and node.attr == "revoked_at"
        and isinstance(node.value, ast.Name)
        and node.value.id == "Grant"
    ),
    "the wave approvals (WaveApproval.approved)": lambda node: (
        isinstance(node, ast.Attribute)
        and node.attr == "approved"
        and isinstance(node.value, ast.Name)
        and node.value.id == "WaveApproval"
    ),
}
#: The packages whose modules select data for a study.
_STUDY_READERS = ("app/reports", "app/research", "app/api")


def test_only_the_scope_module_states_what_a_study_may_see(project_root):
    found = []
    modules = [p for folder in _STUDY_READERS for p in (project_root / folder).rglob("*.py")]
    assert len(modules) > 20
    for path in modules:
        relative = path.relative_to(project_root).as_posix()
        if relative in ("app/research/scope.py", "app/research/models.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for what, matches in _SCOPE_WORDS.items():
                if matches(node):
                    found.append(f"{relative}:{node.lineno}: {what}")
    assert found == [], "use app.research.scope instead:\n" + "\n".join(found)
