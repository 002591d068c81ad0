"""Rows in every tenant table for several municipalities, for tests of the boundary.

A boundary test over an empty table proves nothing: a policy that lets every row through
passes on a table with no rows. :func:`fill_every_tenant_table` therefore gives each
municipality at least one row in every table of :data:`~app.tenancy.rls.TENANT_TABLES`,
:data:`~app.tenancy.rls.PLATFORM_OR_TENANT_TABLES` and
:data:`~app.tenancy.rls.OWN_ROW_TABLES`, built through the service layer wherever a service
exists, and fails naming the table that stayed empty. Whoever adds a tenant table adds
its rows here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from app.core.db import db
from app.sso.models import SsoIdentity
from app.tenancy.models import Municipality
from app.tenancy.rls import OWN_ROW_TABLES, PLATFORM_OR_TENANT_TABLES, TENANT_TABLES
from app.tenancy.scoping import tenant_scope

#: Every table whose rows a municipality owns, as the policies group them.
OWNED_TABLES = (*TENANT_TABLES, *PLATFORM_OR_TENANT_TABLES, *OWN_ROW_TABLES)

TODAY = date(2026, 2, 1)


class EmptyTenantTable(AssertionError):
    pass


@dataclass
class Filled:
    """Handles on what :func:`fill_every_tenant_table` made, for tests that go on to use it."""

    study: Any
    researcher: Any
    #: Per municipality slug: its staff member (on the family's team), the family's id and
    #: the staff member's API token (in plain).
    staff: dict[str, Any] = field(default_factory=dict)
    family_id: dict[str, int] = field(default_factory=dict)
    token: dict[str, str] = field(default_factory=dict)


def _answer_every_intake_form(municipality: Municipality, family: Any, staff: Any) -> None:
    """Every intake form of *family* submitted, with research consent (so a research
    package carries the family and leaves an export record behind)."""
    from tests.support.answers import answer_wave

    def consent(version: Any, raw: dict[str, Any]) -> None:
        if version.form_id == "family_intake":
            raw["research_consent"] = "true"

    wave = next(w for w in family.waves if w.kind == "intake")
    answer_wave(
        municipality, family, wave, today=TODAY, members_on=TODAY, adjust=consent, actor_id=staff.id
    )


def fill_every_tenant_table(
    municipalities: list[Municipality],
    make_user: Callable[..., Any],
    make_family: Callable[..., Any],
    out_dir: Path,
) -> Filled:
    """Rows of each of *municipalities* in every owned table, and platform rows (no
    municipality) in the tables that allow them; committed."""
    from app.admin.invitations import invite
    from app.api.models import IdempotencyKey
    from app.api.tokens import create_token
    from app.audit.services import record
    from app.definitions.loader import CORE_FORMS
    from app.imports.models import FamilyImport
    from app.plans.models import Plan
    from app.plans.services import GoalFields, add_goal, edit_goal, set_goal_status
    from app.reports.models import ReportJob
    from app.research.services import (
        add_researcher,
        create_study,
        export_package,
        grant_study,
        set_wave_approval,
    )
    from app.selfreport.services import make_link
    from app.tenancy.once import FormToken

    researcher = make_user(platform_role="researcher")
    study = create_study("Evaluering", "Effekt af indsatsen", "Art. 6(1)(e), 9(2)(j)")
    add_researcher(study, researcher)
    filled = Filled(study, researcher)
    for municipality in municipalities:
        # make_family enrols (family, wave, plan), adds members and assigns the team;
        # the municipality's departments come from its file.
        staff = make_user(municipality, "staff")
        invitee = make_user()
        family = make_family(
            municipality.slug,
            adults=1,
            children=1,
            label=f"Familien {municipality.slug}",
            team=[staff],
        )
        with tenant_scope(municipality, staff.id):
            _answer_every_intake_form(municipality, family, staff)
            plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
            goal = add_goal(plan, 1, "work_education", "Et mål", None)
            follow_up = next(w for w in family.waves if w.kind == "follow_up")
            set_goal_status(goal, follow_up, "partly", staff.id, today=follow_up.due_date)
            # Reworded once, so the goal has a revision (the plan_goal_revision table).
            db.session.flush()
            edit_goal(
                goal,
                GoalFields(1, "work_education", "Et mål, omformuleret"),
                goal.lock_version,
                staff.id,
            )
            _token, filled.token[municipality.slug] = create_token(staff, municipality, "Fagsystem")
            grant_study(
                municipality,
                study,
                forms=[*CORE_FORMS, *municipality.settings.get("local_forms", [])],
                waves=["intake", "follow_up", "exit"],
                actor_id=staff.id,
            )
            set_wave_approval(municipality, "intake", True, staff.id)
            invite(municipality, invitee, invitee.email, "staff", invited_by=staff.id)
            # The report job's service starts rendering a PDF; the row is what matters.
            db.session.add(
                ReportJob(municipality_id=municipality.id, user_id=staff.id, language="da")
            )
            # A sent form's token and an API request's key (claimed in a request, which
            # the fixture has none of).
            db.session.add(
                FormToken(
                    municipality_id=municipality.id,
                    token="t" * 43,
                    answers_digest="0" * 64,
                    user_id=staff.id,
                )
            )
            # The staff member's identity at the municipality's provider.
            db.session.add(
                SsoIdentity(
                    municipality_id=municipality.id,
                    user_id=staff.id,
                    issuer=f"https://login.{municipality.slug}.example",
                    subject=f"sub-{staff.id}",
                )
            )
            # An uploaded import's row (its file is not needed here).
            db.session.add(
                FamilyImport(
                    municipality_id=municipality.id,
                    user_id=staff.id,
                    file_format="xlsx",
                )
            )
            db.session.add(
                IdempotencyKey(
                    municipality_id=municipality.id,
                    user_id=staff.id,
                    key="retry-1",
                    request_hash="0" * 64,
                )
            )
            db.session.flush()
            # A link for the adult to answer the intake's WHO-5 themselves.
            intake = next(w for w in family.waves if w.kind == "intake")
            adult = family.active_members(TODAY, "adult")[0]
            make_link(
                municipality, intake, adult, "adult_intake", "who5", actor_id=staff.id, kiosk=False
            )
            db.session.flush()
        db.session.commit()
        filled.staff[municipality.slug] = staff
        filled.family_id[municipality.slug] = family.id
    # Platform rows: a study's report job and an event of no municipality.
    db.session.add(ReportJob(study_id=study.id, user_id=researcher.id, language="en"))
    record("test.platform_event")
    db.session.commit()
    export_package(study, out_dir / "package.zip", researcher)
    db.session.commit()
    _check_filled(municipalities)
    return filled


def _check_filled(municipalities: list[Municipality]) -> None:
    from flask import current_app

    from tests.support.apps import owner_engine

    with owner_engine(current_app).connect() as connection:
        for table in OWNED_TABLES:
            owners = set(
                connection.execute(text(f"SELECT DISTINCT municipality_id FROM {table}")).scalars()
            )
            missing = [m.slug for m in municipalities if m.id not in owners]
            if missing:
                raise EmptyTenantTable(
                    f"tenant table {table!r} has no rows of {', '.join(missing)}: give it "
                    "rows in tests/support/tenant_rows.py, or the isolation tests prove "
                    "nothing about it"
                )
            if table in PLATFORM_OR_TENANT_TABLES and None not in owners:
                raise EmptyTenantTable(f"table {table!r} has no platform row (no municipality)")
