"""The tenant boundary: every ORM query is scoped centrally, writes are checked, and the
one way across it is explicit and audited."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.core.db import db
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import TenantBoundaryError, tenant_scope, unscoped


def _codes(rows: list[Department]) -> set[int]:
    return {d.municipality_id for d in rows}


def test_queries_see_only_the_current_municipality(municipalities: dict[str, Municipality]) -> None:
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    with tenant_scope(brondby):
        departments = db.session.scalars(select(Department)).all()
        assert departments and _codes(departments) == {brondby.id}
        # Naming another municipality's rows explicitly still finds nothing.
        assert not db.session.scalars(
            select(Department).where(Department.municipality_id == vejle.id)
        ).all()
        # Aggregates and joins are scoped too.
        assert db.session.scalar(select(func.count(Department.id))) == len(departments)
    with tenant_scope(vejle):
        assert _codes(db.session.scalars(select(Department)).all()) == {vejle.id}


def test_without_a_municipality_tenant_rows_are_invisible(
    municipalities: dict[str, Municipality],
) -> None:
    assert db.session.scalars(select(Department)).all() == []
    # Municipalities themselves are the tenants, not tenant data.
    assert len(db.session.scalars(select(Municipality)).all()) == 5


def test_relationship_loads_are_scoped(municipalities: dict[str, Municipality]) -> None:
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    db.session.expire_all()
    with tenant_scope(brondby):
        other = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
        assert other is not None and other.id == vejle.id
        assert other.departments == []


def test_bulk_update_and_delete_are_scoped(municipalities: dict[str, Municipality]) -> None:
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    with tenant_scope(brondby):
        db.session.execute(update(Department).values(name_en="changed"))
        db.session.execute(delete(Department).where(Department.code == "employment"))
        db.session.commit()
    with tenant_scope(vejle):
        names = {d.name_en for d in db.session.scalars(select(Department))}
        codes = {d.code for d in db.session.scalars(select(Department))}
    assert "changed" not in names
    assert "employment" in codes


def test_writing_into_another_municipality_is_refused(
    municipalities: dict[str, Municipality],
) -> None:
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    with tenant_scope(brondby):
        db.session.add(Department(municipality_id=vejle.id, code="x", name_da="x", name_en="x"))
        with pytest.raises(TenantBoundaryError):
            db.session.flush()
        db.session.rollback()
    with tenant_scope(brondby):
        department = db.session.scalars(select(Department)).first()
        assert department is not None
        department.municipality_id = vejle.id
        with pytest.raises(TenantBoundaryError):
            db.session.flush()
        db.session.rollback()


def test_membership_rows_are_scoped_but_a_user_sees_their_own(
    municipalities: dict[str, Municipality], make_user
) -> None:
    from app.auth.services import own_memberships

    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    user = make_user(brondby, "staff")
    other = make_user(vejle, "admin")
    from app.auth.services import grant_membership

    grant_membership(user, vejle, "lead")
    db.session.commit()
    with tenant_scope(brondby, user.id):
        visible = db.session.scalars(select(Membership)).all()
        assert {m.municipality_id for m in visible} == {brondby.id}
        assert {m.municipality.slug for m in own_memberships(user)} == {"brondby", "vejle"}
        # Someone else's membership elsewhere stays invisible, even through the wider rule.
        assert other.id not in {m.user_id for m in own_memberships(user)}


def test_report_jobs_belong_to_their_municipality_and_studies_to_the_platform(
    municipalities: dict[str, Municipality], make_user
) -> None:
    from app.reports.models import ReportJob
    from app.research.services import create_study

    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    user = make_user(brondby, "lead")
    study = create_study("Jobs", "Test", "Test")
    db.session.flush()
    jobs = {"study": ReportJob(user_id=user.id, language="da", study_id=study.id)}
    db.session.add(jobs["study"])
    for municipality in (brondby, vejle):
        with tenant_scope(municipality):
            jobs[municipality.slug] = ReportJob(
                user_id=user.id, language="da", municipality_id=municipality.id
            )
            db.session.add(jobs[municipality.slug])
            db.session.flush()
    db.session.commit()
    ids = {name: job.id for name, job in jobs.items()}

    def visible() -> set[int]:
        statement = select(ReportJob.id).execution_options(populate_existing=True)
        return set(db.session.scalars(statement))

    with tenant_scope(brondby):
        assert visible() == {ids["brondby"]}
    with tenant_scope(vejle):
        assert visible() == {ids["vejle"]}
    # Outside any municipality (a researcher's pages): only the studies' jobs.
    assert visible() == {ids["study"]}


def test_the_way_out_is_explicit_and_audited(
    app_ctx: Flask, municipalities: dict[str, Municipality]
) -> None:
    with unscoped("test: count all departments"):
        assert _codes(db.session.scalars(select(Department)).all()) == {
            m.id for m in municipalities.values()
        }
        db.session.commit()
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tenant.unscoped_access")
        ).all()
    assert [e.details["reason"] for e in events] == ["test: count all departments"]
    with pytest.raises(ValueError), unscoped(""):
        pass


def test_audit_events_cannot_be_changed_or_deleted(
    app_ctx: Flask, municipalities: dict[str, Municipality]
) -> None:
    from app.audit.services import AuditIsAppendOnly, record

    event = record("test.event", details={"a": 1})
    db.session.commit()
    event.action = "test.changed"
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with unscoped("test"):
        stored = db.session.scalar(select(AuditEvent).where(AuditEvent.id == event.id))
        db.session.delete(stored)
        with pytest.raises(AuditIsAppendOnly):
            db.session.flush()
    db.session.rollback()
