"""The operator's pages: the municipalities, the platform's audit trail, the research
studies and their researchers, and two-factor resets. Every change goes through the same
services as the command line (``flask studies …``, ``flask users reset-two-factor``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin.audit_views import download_csv, listing
from app.auth import twofactor
from app.auth.models import User
from app.auth.permissions import require, roles_with
from app.auth.services import find_user
from app.core import csvfile, dates
from app.core.db import MAX_ID, db
from app.operator.forms import RemoveResearcherForm, ResearcherForm, StudyForm, TwoFactorForm
from app.research.models import Study
from app.research.services import ResearchError, add_researcher, create_study, remove_researcher
from app.tenancy.models import Municipality

bp = Blueprint("operator", __name__)


@bp.before_request
@login_required
def _operators_only() -> None:
    require("platform.operate")


@bp.route("/")
def municipalities() -> str:
    # Municipality rows are the tenants themselves, not tenant data: no crossing needed.
    rows = db.session.scalars(select(Municipality).order_by(Municipality.code)).all()
    return render_template("operator/municipalities.html", municipalities=rows)


# The platform's own audit events (sign-ins, crossings of the tenant boundary): those with
# no municipality, which is what a request outside any municipality sees.
@bp.route("/audit/")
def audit_log() -> str:
    return listing("operator.audit_log", "operator.audit_download")


@bp.route("/audit/audit.csv")
@csvfile.serves_csv
def audit_download() -> Response:
    return download_csv(f"audit-platform-{dates.today().isoformat()}.csv", None)


# -- studies -----------------------------------------------------------------------------


@bp.route("/studies/", methods=["GET", "POST"])
def studies() -> str | Response:
    form = StudyForm()
    if form.validate_on_submit():
        token = form.sent_once_token
        earlier = token and db.session.scalar(select(Study).where(Study.once_token == token))
        if earlier:
            flash(_("This form was already sent, so nothing was added twice."), "info")
            return redirect(url_for("operator.study", study_id=earlier.id))
        try:
            study = create_study(
                form.title.data or "",
                form.purpose.data or "",
                form.legal_basis.data or "",
                form.suppression_k.data or 5,
                once_token=token,
            )
            db.session.commit()
        except IntegrityError:
            # The same form, sent twice at once: the first send made the study.
            db.session.rollback()
            flash(_("This form was already sent, so nothing was added twice."), "info")
            return redirect(url_for("operator.studies"))
        except ResearchError:
            db.session.rollback()
            form.title.errors = [_("Write the study's title and its legal basis.")]
        else:
            flash(_("The study is created. Add its researchers."), "success")
            return redirect(url_for("operator.study", study_id=study.id))
    rows = db.session.scalars(select(Study).order_by(Study.created_at.desc(), Study.id.desc()))
    return render_template("operator/studies.html", studies=rows.all(), form=form)


def _study_or_404(study_id: int) -> Study:
    study = db.session.get(Study, study_id) if study_id <= MAX_ID else None
    if study is None:
        abort(404)
    return study


def _researchers() -> list[User]:
    """Everyone who may join a study: active users with the researcher role."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.platform_role.in_(roles_with("studies.join")), User.active)
            .order_by(User.name, User.id)
        )
    )


@bp.route("/studies/<int:study_id>", methods=["GET", "POST"])
def study(study_id: int) -> str | Response:
    study = _study_or_404(study_id)
    on_study = {r.user_id for r in study.researchers}
    form = ResearcherForm()
    form.user_id.choices = [
        (u.id, f"{u.name} ({u.email})") for u in _researchers() if u.id not in on_study
    ]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        assert user is not None  # one of the choices
        try:
            add_researcher(study, user)
            db.session.commit()
        except (IntegrityError, ResearchError):
            # Sent twice at once, or the person stopped being a researcher meanwhile.
            db.session.rollback()
            flash(_("Nothing was changed: check the list of researchers."), "info")
        else:
            flash(_("%(name)s is a researcher of the study.", name=user.name), "success")
        return redirect(url_for("operator.study", study_id=study.id))
    return render_template(
        "operator/study.html",
        study=study,
        researchers=sorted((r.user for r in study.researchers), key=lambda u: (u.name, u.id)),
        form=form,
        remove_form=RemoveResearcherForm(),
    )


@bp.route("/studies/<int:study_id>/researchers/<int:user_id>/remove", methods=["POST"])
def remove_researcher_page(study_id: int, user_id: int) -> Response:
    study = _study_or_404(study_id)
    user = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if user is None:
        abort(404)
    if not RemoveResearcherForm().validate_on_submit():
        abort(400)
    if remove_researcher(study, user):
        db.session.commit()
        flash(_("%(name)s is no longer a researcher of the study.", name=user.name), "success")
    else:
        flash(_("%(name)s was not a researcher of the study.", name=user.name), "info")
    return redirect(url_for("operator.study", study_id=study.id))


# -- two-factor sign-in ------------------------------------------------------------------


@bp.route("/two-factor/", methods=["GET", "POST"])
def two_factor() -> str | Response:
    """Reset a person's two-factor sign-in (a lost phone): first the person, then a
    confirmation, since the old authenticator app cannot be brought back."""
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return render_template("operator/two_factor.html", form=form, person=None)
    person = find_user(form.email.data or "")
    if person is None:
        form.email.errors = [_("No one signs in with this e-mail address. Check the spelling.")]
        return render_template("operator/two_factor.html", form=form, person=None)
    if person.totp_secret is None:
        flash(
            _(
                "%(name)s has no authenticator app set up: they set one up at their next "
                "sign-in. Nothing was changed.",
                name=person.name,
            ),
            "info",
        )
        return redirect(url_for("operator.two_factor"))
    if not form.confirm.data:
        return render_template("operator/two_factor.html", form=form, person=person)
    twofactor.reset(person, by=current_user)
    db.session.commit()
    flash(
        _(
            "Two-factor sign-in is reset for %(name)s. They are signed out everywhere and "
            "set up a new authenticator app at their next sign-in.",
            name=person.name,
        ),
        "success",
    )
    return redirect(url_for("operator.two_factor"))
