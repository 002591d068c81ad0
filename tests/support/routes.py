"""The URL map as the route loops see it: the tenant routes, a value of the given
municipality for every URL parameter, and the rows those values point at."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from app.admin.models import Invitation
from app.api.models import ApiToken
from app.auth.models import Membership
from app.collection.models import Submission
from app.core.db import db
from app.families.models import Assignment, Family, Member, Wave
from app.imports.models import FamilyImport
from app.plans.models import Goal
from app.reports.models import ReportJob
from app.research.models import Grant
from app.selfreport.models import SelfReportLink
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope

MEMBER_ROLES = ("admin", "lead", "staff", "external")
PLATFORM_ROLES = ("operator", "researcher")


def submit_intake(municipality: Municipality, family_id: int) -> None:
    from datetime import date

    from app.collection.services import forms_for_wave, save_submission
    from tests.support.forms import valid_formdata

    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        wave = family.waves[0]
        adult = family.active_members(wave.due_date, "adult")[0]
        version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == "adult_intake")
        raw = valid_formdata(version.form, date.today())
        from app.plans.models import Plan
        from app.plans.services import add_goal

        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
        add_goal(plan, 1, "housing", "Et hjem", None)
        save_submission(
            municipality,
            wave,
            version,
            adult,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=None,
            today=date.today(),
        )
        db.session.commit()


def invite_someone(municipality: Municipality, make_user, admin) -> None:
    """An invitation waiting in *municipality*, for an account that is nobody's member."""
    from app.admin.invitations import invite

    invitee = make_user()
    invite(municipality, invitee, invitee.email, "staff", invited_by=admin.id)


def _membership_of(municipality: Municipality) -> int:
    with tenant_scope(municipality):
        return db.session.scalars(select(Membership.id)).first()  # type: ignore[return-value]


def _first(model: type) -> Callable[[Municipality], int]:
    def provide(municipality: Municipality) -> int:
        with tenant_scope(municipality):
            found = db.session.scalars(select(model.id).order_by(model.id)).first()
        assert found is not None, f"the world has no {model.__name__} in {municipality.slug}"
        return found

    return provide


#: URL parameter -> a value that belongs to the given municipality.
ID_PROVIDERS: dict[str, Callable[[Municipality], object]] = {
    "membership_id": _membership_of,
    "family_id": _first(Family),
    "member_id": _first(Member),
    "wave_id": _first(Wave),
    "submission_id": _first(Submission),
    "assignment_id": _first(Assignment),
    "goal_id": _first(Goal),
    "department_id": _first(Department),
    "token_id": _first(ApiToken),
    "invitation_id": _first(Invitation),
    "grant_id": _first(Grant),
    "job_id": _first(ReportJob),
    "link_id": _first(SelfReportLink),
    "import_id": _first(FamilyImport),
    # A local form version published from a file: the namespace in its id is the owner.
    "version_id": lambda municipality: local_version_of(municipality),
    # Platform-level, shared by every municipality: not a tenant's id.
    "study_id": lambda municipality: _study_id(),
    "wave_key": lambda municipality: "intake",
    # A mailed link's secret: nobody's (the page says the link cannot be used).
    "secret": lambda municipality: "no-such-link",
    # A work list's name: the same lists in every municipality.
    "name": lambda municipality: "overdue",
}
#: Parameters that name shared, platform-level things rather than a municipality's rows.
PLATFORM_ARGS = {"study_id", "wave_key", "form_id", "secret", "name"}


def local_version_of(municipality: Municipality) -> int:
    """A local form version of *municipality*, as publishing one from a file stores it."""
    from app.collection.models import FormVersion

    form_id = f"{municipality.slug}.probe"
    found = db.session.scalar(select(FormVersion.id).filter_by(form_id=form_id))
    if found is not None:
        return found
    definition = {
        "form": form_id,
        "version": 1,
        "level": "family",
        "waves": ["intake"],
        "title": {"da": "Prøve", "en": "Probe"},
        "sections": [
            {
                "id": "main",
                "fields": [
                    {"name": "probe_note", "type": "text", "label": {"da": "Note", "en": "Note"}}
                ],
            }
        ],
        "codelists": {},
    }
    version = FormVersion(
        form_id=form_id, version=1, level="family", content_hash="0" * 64, definition=definition
    )
    db.session.add(version)
    db.session.commit()
    return version.id


def _study_id() -> int:
    from app.research.models import Study

    return db.session.scalars(select(Study.id)).first()


def form_id(rule) -> str:
    # Not an id: the same core form exists everywhere; the wave id makes it another's.
    return "adult_intake" if "member_id" in rule.arguments else "family_intake"


#: Endpoints under a municipality's slug that are nobody's pages: opened without signing in.
PUBLIC_PREFIXES = ("selfreport_public.",)


def self_report_link_in(municipality: Municipality, family_id: int) -> int:
    """A link for the family's first adult to answer the intake's WHO-5 themselves."""
    from app.selfreport.services import make_link

    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        wave = family.waves[0]
        adult = family.active_members(wave.due_date, "adult")[0]
        link, _secret = make_link(
            municipality, wave, adult, "adult_intake", "who5", actor_id=None, kiosk=False
        )
        db.session.commit()
        return link.id


def tenant_rules(app: Flask) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and "slug" in rule.arguments
        # The API authenticates with tokens, not sessions: tests/api/ loops over it.
        and not rule.endpoint.startswith("api.")
        # The parent's own page: nobody signs in, the link's secret decides (every way a
        # link cannot be used, another municipality's slug included, in test_self_report).
        and not rule.endpoint.startswith(PUBLIC_PREFIXES)
        # A municipality's way in, before anyone is signed in or a member: its button
        # leaves for that municipality's own provider. tests/test_sso.py holds it to the
        # boundary (no provider: 404; one municipality's never signs in another's member).
        and not rule.endpoint.startswith("sso.")
    ]


def report_job_for(user, municipality) -> int:
    """A finished PDF report job of *user* (the file is a stand-in: no rendering needed)."""
    from flask import current_app

    from app.reports.jobs import reports_dir
    from app.reports.models import ReportJob

    with tenant_scope(municipality):
        job = ReportJob(
            user_id=user.id, municipality_id=municipality.id, language="da", status="done"
        )
        db.session.add(job)
        db.session.flush()
        job.file_name = f"helhed-report-{job.id}-da.pdf"
        (reports_dir(current_app) / job.file_name).write_bytes(b"%PDF-1.7 stand-in")
        db.session.commit()
        return job.id


def family_import_for(user, municipality) -> int:
    """An uploaded import of *user*, checked and waiting for its confirmation: one family."""
    from flask_babel import force_locale

    from app.core import dates
    from app.imports.jobs import encode
    from app.imports.services import check_content
    from tests.support.imports import headers, sample_rows, xlsx_bytes

    with tenant_scope(municipality), force_locale("da"):
        content = xlsx_bytes(headers(municipality), sample_rows(municipality, 1, dates.today()))
        checked = check_content(municipality, content, "xlsx", dates.today())
        row = FamilyImport(
            municipality_id=municipality.id,
            user_id=user.id,
            file_format="xlsx",
            content=encode(content),
            rows_total=checked.rows,
            summary={"counts": checked.counts(), "families": [], "present": []},
        )
        db.session.add(row)
        db.session.commit()
        return row.id
