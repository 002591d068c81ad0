"""Studies, grants, sign-off and exports. Each function flushes and audits."""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.auth.permissions import allows
from app.collection.models import FormVersion
from app.core.db import db, utcnow
from app.definitions.loader import CORE_FORMS
from app.definitions.model import WAVES
from app.research.models import ExportRecord, Grant, Study, StudyResearcher, WaveApproval
from app.research.package import PackageResult, write_package
from app.research.scope import active_grants
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope, unscoped

#: follow_up_<months>: months as the follow-up schedule makes them, within the column's 20.
WAVE_KEY_RE = re.compile(r"follow_up_[1-9][0-9]{0,3}")


class ResearchError(ValueError):
    pass


class UnknownFormError(ResearchError):
    """A grant names a form the municipality does not have."""

    def __init__(self, municipality: Municipality, form_id: str, known: list[str]):
        self.form_id = form_id
        super().__init__(
            f"no form {form_id!r} in {municipality.slug}; its forms are {', '.join(known)}"
        )


def grantable_forms(municipality: Municipality) -> list[str]:
    """The forms a municipality can grant: the core forms and its own local forms, those
    it uses now and those it has published (a form no longer used still has answers)."""
    published = db.session.scalars(
        select(FormVersion.form_id).where(FormVersion.local_to(municipality.slug)).distinct()
    )
    local = set(published) | set(municipality.settings.get("local_forms", []))
    return [*CORE_FORMS, *sorted(local)]


def create_study(
    title: str,
    purpose: str,
    legal_basis: str,
    suppression_k: int = 5,
    *,
    once_token: str | None = None,
) -> Study:
    if not title.strip() or not legal_basis.strip():
        raise ResearchError("a study needs a title and a legal basis")
    if not 1 <= suppression_k <= 100:
        raise ResearchError("k must be between 1 and 100")
    study = Study(
        title=title.strip(),
        purpose=purpose.strip(),
        legal_basis=legal_basis.strip(),
        pseudonym_key=secrets.token_urlsafe(32),
        suppression_k=suppression_k,
        once_token=once_token,
    )
    db.session.add(study)
    db.session.flush()
    record("study.created", object_type="study", object_id=study.id, details={"title": study.title})
    return study


def add_researcher(study: Study, user: User) -> None:
    if not allows(user.platform_role, "studies.join"):
        raise ResearchError(f"{user.email} is not a researcher")
    exists = db.session.scalar(
        select(StudyResearcher).where(
            StudyResearcher.study_id == study.id, StudyResearcher.user_id == user.id
        )
    )
    if exists is None:
        db.session.add(StudyResearcher(study_id=study.id, user_id=user.id))
        db.session.flush()
        record(
            "study.researcher_added",
            object_type="study",
            object_id=study.id,
            details={"user_id": user.id},
        )


def remove_researcher(study: Study, user: User) -> bool:
    """Take *user* off *study*; False if they were not on it. Their past exports stay listed."""
    row = db.session.scalar(
        select(StudyResearcher).where(
            StudyResearcher.study_id == study.id, StudyResearcher.user_id == user.id
        )
    )
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    record(
        "study.researcher_removed",
        object_type="study",
        object_id=study.id,
        details={"user_id": user.id},
    )
    return True


def grant_study(
    municipality: Municipality,
    study: Study,
    *,
    forms: list[str],
    waves: list[str],
    period_from: date | None = None,
    period_to: date | None = None,
    free_text: bool = False,
    actor_id: int | None = None,
) -> Grant:
    """The municipality's permission; a new grant replaces the study's previous one."""
    bad = [w for w in waves if w not in WAVES]
    if bad or not waves:
        raise ResearchError(f"waves must be some of {', '.join(WAVES)}")
    if not forms:
        raise ResearchError("grant at least one form")
    known = grantable_forms(municipality)
    # A mistyped id, or another municipality's local form, would be a grant that silently
    # exports nothing, and one that starts exporting should a form of that id appear.
    for form_id in forms:
        if form_id not in known:
            raise UnknownFormError(municipality, form_id, known)
    with tenant_scope(municipality, actor_id):
        for old in db.session.scalars(active_grants(study.id)):
            old.revoked_at = utcnow()
        grant = Grant(
            municipality_id=municipality.id,
            study_id=study.id,
            forms=sorted(forms),
            waves=sorted(waves),
            period_from=period_from,
            period_to=period_to,
            free_text=free_text,
            granted_by_id=actor_id,
        )
        db.session.add(grant)
        db.session.flush()
        record(
            "study.granted",
            actor_id=actor_id,
            municipality_id=municipality.id,
            object_type="study",
            object_id=study.id,
            details={
                "forms": grant.forms,
                "waves": grant.waves,
                "free_text": free_text,
                "period_from": period_from.isoformat() if period_from else None,
                "period_to": period_to.isoformat() if period_to else None,
            },
        )
        db.session.flush()
    return grant


def revoke_grant(grant: Grant, actor_id: int | None = None) -> None:
    grant.revoked_at = utcnow()
    db.session.flush()
    record(
        "study.grant_revoked",
        actor_id=actor_id,
        municipality_id=grant.municipality_id,
        object_type="study",
        object_id=grant.study_id,
    )


def set_wave_approval(
    municipality: Municipality, wave_key: str, approved: bool, actor_id: int | None = None
) -> WaveApproval:
    """Approve a wave's data for research, or reopen it (which withdraws the approval)."""
    # ASCII digits, as the keys are made: str.isdigit() also takes "²" and "١", and a key
    # longer than its column fails on PostgreSQL.
    if not (wave_key in ("intake", "exit") or WAVE_KEY_RE.fullmatch(wave_key)):
        raise ResearchError("a wave is intake, follow_up_<months> or exit")
    with tenant_scope(municipality, actor_id):
        row = db.session.scalar(select(WaveApproval).where(WaveApproval.wave_key == wave_key))
        if row is None:
            row = WaveApproval(municipality_id=municipality.id, wave_key=wave_key)
            db.session.add(row)
        row.approved = approved
        row.changed_at = utcnow()
        row.changed_by_id = actor_id
        db.session.flush()
        record(
            "wave.approved" if approved else "wave.reopened",
            actor_id=actor_id,
            municipality_id=municipality.id,
            object_type="wave",
            object_id=wave_key,
        )
        db.session.flush()
    return row


def studies_of(user: User) -> list[Study]:
    if allows(user.platform_role, "studies.view_all"):
        return list(db.session.scalars(select(Study).order_by(Study.id)))
    return list(
        db.session.scalars(
            select(Study)
            .join(StudyResearcher)
            .where(StudyResearcher.user_id == user.id)
            .order_by(Study.id)
        )
    )


def export_package(study: Study, out: Path, actor: User, progress: Any = None) -> PackageResult:
    """Write the package and leave a trail: one audit event, one record per municipality.

    All in the caller's transaction; the background job runs the same steps in
    transactions of their own (:mod:`app.research.jobs`).
    """
    check_exporter(study, actor)
    with unscoped("research export", actor_id=actor.id, study_id=study.id):
        result = write_package(study, out, progress=progress)
        record_export(study, actor, result)
    return result


def check_exporter(study: Study, actor: User) -> None:
    if not allows(actor.platform_role, "studies.export") or (
        not allows(actor.platform_role, "studies.view_all") and study not in studies_of(actor)
    ):
        raise ResearchError("only the study's researchers (or an operator) export it")


def record_export(study: Study, actor: User, result: PackageResult) -> None:
    """The trail of a written package (the caller has crossed the tenant boundary)."""
    for municipality_id, counts in result.row_counts.items():
        db.session.add(
            ExportRecord(
                municipality_id=municipality_id,
                study_id=study.id,
                user_id=actor.id,
                row_counts=counts,
                checksum=result.checksum,
            )
        )
        record(
            "export.package",
            actor_id=actor.id,
            municipality_id=municipality_id,
            object_type="study",
            object_id=study.id,
            details={"rows": counts, "checksum": result.checksum},
        )
    db.session.flush()
