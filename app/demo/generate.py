"""Synthetic families at scale, for benchmarks and load: bulk inserts, no per-row ORM work.

The answers follow the seed evaluations' figures (Assens: three in four adults on income
support at intake, 4.2 years with the employment unit, 84 % of children with an active
case of about 1.7 years, 44 % self-supporting at some point and 22 % at the end, 45 % of
cases closed), so indicators and reports computed on them look like real ones. Everything
is drawn from one seeded random generator: the same seed gives the same data.

Rows are written with ``INSERT … RETURNING`` in batches through SQLAlchemy's
insertmanyvalues, which both SQLite and PostgreSQL run as a few large statements.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from app.auth.models import Membership
from app.auth.permissions import allows
from app.collection.models import FormVersion, Submission
from app.collection.typed import AnswerValue, typed_rows
from app.core import dates
from app.core.db import db, utcnow
from app.families.models import MISSED_REASONS, Assignment, Family, Member, Wave
from app.families.services import _follow_up, _place
from app.plans.models import Plan
from app.teams.services import TEAM_MODEL_RULES
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from app.tenancy.settings_spec import tables as settings_tables

BATCH = 2000
#: The share of generated families nobody is assigned to (the leads' "unassigned" list).
UNASSIGNED_SHARE = 0.1
#: The share of waves closed without answers for which a reason is recorded (missed).
MISSED_SHARE = 0.3
#: The share of open waves of which the family form is begun: drafts.
DRAFT_SHARE = 0.4
#: Families enrolled over this many days before today, evenly.
ENROLMENT_SPAN_DAYS = 3 * 365

SUPPORT_CODES = [
    ("kontanthjaelp_aktivitetsparat", 30),
    ("kontanthjaelp_jobparat", 12),
    ("sygedagpenge", 10),
    ("a_dagpenge", 6),
    ("jobafklaringsforloeb", 5),
    ("ressourceforloeb", 5),
    ("fleksjob", 4),
    ("foertidspension", 3),
]
SELF_SUPPORTING = [("ordinary_employment", 14), ("education", 6), ("self_supporting_other", 3)]
MEASURES = [
    "bl32_daycare",
    "bl32_home_support",
    "bl32_contact_person",
    "bl32_family_treatment",
]  # code-list order


@dataclass
class Generated:
    families: int = 0
    members: int = 0
    waves: int = 0
    submissions: int = 0
    assigned: int = 0


def _choice(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights)[0]


def _who5(rng: random.Random, centre: float) -> dict[str, int]:
    items = {f"who5_{i}": max(0, min(5, round(rng.gauss(centre, 1.1)))) for i in range(1, 6)}
    return {**items, "who5_score": sum(items.values()) * 4}


class _Person:
    """One adult's or child's course, decided up front so the waves tell one story."""

    def __init__(self, rng: random.Random, role: str, enrolment: date):
        self.role = role
        if role == "adult":
            self.on_support = rng.random() < 0.75
            # 44 % become self-supporting at some follow-up; half of them stay so.
            self.becomes = rng.random() < 0.44
            self.stays = rng.random() < 0.5
            self.wellbeing = rng.uniform(1.2, 2.8)
        else:
            self.active = rng.random() < 0.84
            self.closes = self.active and rng.random() < 0.45
            self.case_start = enrolment - timedelta(days=max(30, int(rng.gauss(620, 300))))
            self.interventions = rng.randint(1, 6) if self.active else 0


def _adult(rng: random.Random, person: _Person, enrolment: date, index: int) -> dict[str, Any]:
    if index == 0:
        support = _choice(rng, SUPPORT_CODES if person.on_support else SELF_SUPPORTING)
    elif person.becomes and (index == 1 or person.stays):
        support = _choice(rng, SELF_SUPPORTING)
    else:
        support = _choice(rng, SUPPORT_CODES)
    person.wellbeing = min(4.5, person.wellbeing + rng.uniform(-0.2, 0.5) * (index > 0))
    answers: dict[str, Any] = {
        "income_support": support,
        "functional_level": rng.choice("ABCCDD" if index == 0 else "ABBCCD"),
        **_who5(rng, person.wellbeing),
    }
    activity = rng.random() < (0.35 if index == 0 else 0.5)
    answers["employment_activity"] = activity
    if activity:
        answers["employment_activity_date"] = (
            enrolment + timedelta(days=rng.randint(0, 300))
        ).isoformat()
    if index == 0:
        woman = rng.random() < 0.7
        age = rng.randint(30, 40) if woman and rng.random() < 0.85 else rng.randint(20, 60)
        answers.update(
            birth_year=enrolment.year - age,
            sex="female" if woman else rng.choice(["male", "male", "other"]),
            years_with_employment_unit=round(max(0.0, rng.gauss(4.2, 2.5)), 1),
        )
    return answers


def _child(rng: random.Random, person: _Person, enrolment: date, index: int) -> dict[str, Any]:
    active = person.active and not (person.closes and index >= 2)
    if index > 0 and person.interventions:
        person.interventions = max(0, person.interventions + rng.choice([-1, -1, 0, 1]))
    answers: dict[str, Any] = {
        "active_case": active,
        "n_interventions": person.interventions if active else 0,
        "attendance": rng.choice(["stable", "stable", "unstable", "not_applicable"]),
        "sos_scale": rng.randint(2, 9),
        "functional_level": rng.choice("ABCD"),
    }
    measures = rng.sample(MEASURES, k=rng.randint(0, 2)) if active else []
    if measures:  # an empty answer is not stored, as when staff leave it blank
        answers["measures"] = [m for m in MEASURES if m in measures]
    if index == 0:
        answers["birth_year"] = enrolment.year - rng.randint(0, 17)
        if active:
            answers["case_start_date"] = person.case_start.isoformat()
    elif not active:
        answers["case_closed_date"] = (enrolment + timedelta(days=180 * index - 20)).isoformat()
    return answers


def _family(rng: random.Random, index: int, single: bool) -> dict[str, Any]:
    base = {
        "n_contact_persons": max(1, round(rng.gauss(6 - 1.2 * index, 1.5))),
        "n_plans": max(0, round(rng.gauss(3.5 - 0.7 * index, 1.0))),
    }
    if index == 0:
        return {
            "household_type": "single_parent" if single else rng.choice(["two_parents", "other"]),
            "referral_source": rng.choice(["employment_unit", "children_family", "self", "other"]),
            "research_consent": rng.random() < 0.9,
            "contact_person_type": "municipal",
            **base,
        }
    return {**base, "joint_plan_in_place": rng.random() < 0.8}


def _insert(model: type, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        result = db.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), chunk
        )
        ids += [row[0] for row in result]
    return ids


def _assignments(
    rng: random.Random,
    municipality: Municipality,
    caseload: list[Membership],
    family_ids: list[int],
    now: datetime,
) -> list[dict[str, Any]]:
    """Who works with each family, as the team model says: one coordinator or entry
    caseworker, or a team of one or two; taken in turn from the members with a caseload
    (the demo's staff and leads), leaving some families unassigned."""
    if not caseload:
        return []
    rules = TEAM_MODEL_RULES[municipality.team_model]
    kind = rules["kinds"][0]  # type: ignore[index]
    rows: list[dict[str, Any]] = []
    for n, family_id in enumerate(family_ids):
        if rng.random() < UNASSIGNED_SHARE:
            continue
        size = 1 if rules["single"] or len(caseload) == 1 else rng.choice((1, 2))
        for k in range(size):
            membership = caseload[(n + k) % len(caseload)]
            rows.append(
                {
                    "municipality_id": municipality.id,
                    "family_id": family_id,
                    "user_id": membership.user_id,
                    "kind": kind,
                    "department_id": membership.department_id,
                    "contact_person": False,
                    "active": True,
                    "created_at": now,
                }
            )
    return rows


def generate(
    municipality: Municipality,
    families: int,
    *,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """Add *families* synthetic families to *municipality* (in its tenant scope)."""
    rng = random.Random(f"{seed}-{municipality.slug}")
    today = today or dates.today()
    counts = Generated()
    versions = {
        v.form_id: v
        for v in db.session.scalars(
            select(FormVersion).where(
                FormVersion.id.in_(select(func.max(FormVersion.id)).group_by(FormVersion.form_id))
            )
        )
    }
    forms = {v.id: v.form for v in versions.values()}
    schedule = _follow_up(municipality)
    settings = settings_tables(municipality.settings)["joint_plan"]
    now = utcnow()
    with tenant_scope(municipality):
        caseload = [
            m
            for m in db.session.scalars(select(Membership).order_by(Membership.id))
            if allows(m.role, "families.caseload")
        ]
        for start in range(0, families, BATCH):
            size = min(BATCH, families - start)
            enrolments = [
                today - timedelta(days=rng.randint(0, ENROLMENT_SPAN_DAYS)) for _ in range(size)
            ]
            family_ids = _insert(
                Family,
                [
                    {
                        "municipality_id": municipality.id,
                        "label": f"Syntetisk familie {start + i + 1}",
                        "enrolment_date": enrolment,
                        "team_model": municipality.team_model,
                        "status": "active",
                        "created_at": now,
                        "lock_version": 1,
                    }
                    for i, enrolment in enumerate(enrolments)
                ],
            )
            _insert(
                Plan,
                [
                    {
                        "municipality_id": municipality.id,
                        "family_id": family_id,
                        "phases": settings["phases"],
                        "phase_months": settings["phase_months"],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for family_id in family_ids
                ],
            )
            # Members and their courses.
            member_rows, courses = [], []
            for family_id, enrolment in zip(family_ids, enrolments, strict=True):
                adults = 1 if rng.random() < 0.55 else 2
                children = rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0]
                for role, count in (("adult", adults), ("child", children)):
                    for k in range(count):
                        member_rows.append(
                            {
                                "municipality_id": municipality.id,
                                "family_id": family_id,
                                "role": role,
                                "name": f"{'Voksen' if role == 'adult' else 'Barn'} {k + 1}",
                                "start_date": enrolment,
                                "created_at": now,
                            }
                        )
                        courses.append((family_id, _Person(rng, role, enrolment)))
            member_ids = _insert(Member, member_rows)
            by_family: dict[int, list[tuple[int, _Person]]] = {}
            for member_id, (family_id, person) in zip(member_ids, courses, strict=True):
                by_family.setdefault(family_id, []).append((member_id, person))
            # Waves: intake and the follow-ups, placed as enrolment places them.
            wave_rows, wave_meta = [], []
            for family_id, enrolment in zip(family_ids, enrolments, strict=True):
                keys = [("intake", "intake", 0)] + [
                    (
                        f"follow_up_{k * schedule['interval_months']}",
                        "follow_up",
                        k * schedule["interval_months"],
                    )
                    for k in range(1, schedule["count"] + 1)
                ]
                for index, (key, kind, month) in enumerate(keys):
                    wave = Wave(key=key, kind=kind, month=month)
                    _place(wave, enrolment, schedule["window_days"])
                    answered = wave.due_date <= today and (index == 0 or rng.random() < 0.85)
                    completed = (
                        datetime.combine(
                            min(today, wave.due_date + timedelta(days=rng.randint(-10, 40))),
                            datetime.min.time(),
                            now.tzinfo,
                        )
                        if answered
                        else None
                    )
                    closed = completed is None and wave.window_end < today
                    missed = closed and rng.random() < MISSED_SHARE
                    wave_rows.append(
                        {
                            "municipality_id": municipality.id,
                            "family_id": family_id,
                            "key": key,
                            "kind": kind,
                            "month": month,
                            "due_date": wave.due_date,
                            "window_start": wave.window_start,
                            "window_end": wave.window_end,
                            "completed_at": completed,
                            "missed_reason": rng.choice(MISSED_REASONS) if missed else None,
                            "missed_at": now if missed else None,
                        }
                    )
                    is_open = completed is None and wave.window_start <= today <= wave.window_end
                    wave_meta.append((family_id, enrolment, index, answered, completed, is_open))
            wave_ids = _insert(Wave, wave_rows)
            # Submissions for every answered wave: family, each adult, each child.
            submission_rows = []
            single = {f: sum(p.role == "adult" for _m, p in by_family[f]) == 1 for f in family_ids}
            for wave_id, (family_id, enrolment, index, answered, completed, is_open) in zip(
                wave_ids, wave_meta, strict=True
            ):
                suffix = "intake" if index == 0 else "follow_up"
                if is_open and rng.random() < DRAFT_SHARE:
                    # Begun, not sent: the family form of a wave whose window is open.
                    form_id = f"family_{suffix}"
                    submission_rows.append(
                        {
                            "municipality_id": municipality.id,
                            "family_id": family_id,
                            "wave_id": wave_id,
                            "member_id": None,
                            "form_id": form_id,
                            "form_version_id": versions[form_id].id,
                            "answers": _family(rng, index, single[family_id]),
                            "status": "draft",
                            "lock_version": 1,
                            "created_at": now,
                            "updated_at": now,
                            "submitted_at": None,
                        }
                    )
                if not answered:
                    continue
                subjects: list[tuple[str, int | None, dict[str, Any]]] = [
                    (f"family_{suffix}", None, _family(rng, index, single[family_id]))
                ]
                for member_id, person in by_family[family_id]:
                    make = _adult if person.role == "adult" else _child
                    subjects.append(
                        (f"{person.role}_{suffix}", member_id, make(rng, person, enrolment, index))
                    )
                for form_id, member_id, answers in subjects:
                    version = versions[form_id]
                    submission_rows.append(
                        {
                            "municipality_id": municipality.id,
                            "family_id": family_id,
                            "wave_id": wave_id,
                            "member_id": member_id,
                            "form_id": form_id,
                            "form_version_id": version.id,
                            "answers": answers,
                            "status": "submitted",
                            "lock_version": 1,
                            "created_at": completed,
                            "updated_at": completed,
                            "submitted_at": completed,
                        }
                    )
            submission_ids = _insert(Submission, submission_rows)
            # Their typed answers, as save_submission writes them: one batch for all.
            typed = [
                row
                for submission_id, submission in zip(submission_ids, submission_rows, strict=True)
                for row in typed_rows(
                    submission_id,
                    municipality.id,
                    forms[submission["form_version_id"]],
                    submission["answers"],
                )
            ]
            for begin in range(0, len(typed), BATCH * 10):
                db.session.execute(insert(AnswerValue.__table__), typed[begin : begin + BATCH * 10])
            assignments = _assignments(rng, municipality, caseload, family_ids, now)
            if assignments:
                _insert(Assignment, assignments)
            counts.families += len(family_ids)
            counts.assigned += len({row["family_id"] for row in assignments})
            counts.members += len(member_ids)
            counts.waves += len(wave_ids)
            counts.submissions += len(submission_rows)
            if progress:
                progress(f"{municipality.slug}: {counts.families} of {families} families")
    # Fresh statistics, or the planner meets a table it believes is empty (PostgreSQL's
    # autovacuum would get there, but only later).
    db.session.execute(text("ANALYZE"))
    return counts
