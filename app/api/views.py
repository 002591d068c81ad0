"""``/api/v1/<slug>/…``: the same services and access rules as the pages, as JSON.

Every request authenticates with a personal access token (``Authorization: Bearer …``) of
this municipality, acts with its user's role, and commits once at the end: a failed
request stores nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request, url_for
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from app.api import schema as api_schema
from app.api.checks import CONFIRMED_FIELD
from app.api.idempotency import idempotent
from app.api.problems import ApiProblem, from_http_exception
from app.api.saving import WINDOW_FIELDS, save_answers
from app.api.serialize import family_json, member_json, plan_json, submission_json, wave_json
from app.api.tokens import Credentials, find_usable
from app.audit.services import record
from app.auth.permissions import can, require
from app.collection import published
from app.collection.models import FormVersion, Submission
from app.collection.services import (
    forms_for_wave,
    latest_versions,
    record_reading,
)
from app.core import dates
from app.core.db import MAX_ID, db, utcnow
from app.definitions.loader import CORE_FORMS
from app.families.access import (
    PLAN,
    family_and_wave_or_404,
    family_or_404,
    member_or_404,
    owned_by_family_or_404,
    visible_families,
)
from app.families.models import FAMILY_STATUSES, Family
from app.families.services import (
    FamilyError,
    StaleFamily,
    add_member,
    correct_enrolment_date,
    end_member,
    enrol_family,
)
from app.families.services import (
    record_reading as record_family_reading,
)
from app.plans.models import Plan
from app.plans.phases import plan_phases
from app.reports.figures import as_json, municipality_report
from app.teams.services import active_team, assign
from app.tenancy import cached
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import name_request_user, set_request_scope

#: How exactly a token's last use is recorded (see _authenticate).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)

bp = Blueprint("api", __name__, url_prefix="/api/v1/<slug>")
meta = Blueprint("api_meta", __name__, url_prefix="/api/v1")


# -- the frame ---------------------------------------------------------------------------------


@bp.url_value_preprocessor
def _pop_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.api_slug = values.pop("slug", None) if values else None


@bp.url_defaults
def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" not in values and g.get("municipality") is not None:
        values["slug"] = g.municipality.slug


@bp.before_request
def _authenticate() -> None:
    # The municipality's id by its slug, from the process once it has read it: the scope
    # is then set before the first statement and reaches the database with it, once.
    slug = g.api_slug
    municipality_id = cached.municipality_id(slug) if slug else None
    if municipality_id is None:
        raise ApiProblem(404, "No such municipality.")
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    unauthorised = ApiProblem(
        401,
        "A valid bearer token of this municipality is required.",
        headers={"WWW-Authenticate": 'Bearer realm="helhed"'},
    )
    if scheme.lower() != "bearer" or not plain.strip():
        raise unauthorised
    found = _credentials(municipality_id, slug, plain.strip())
    if found is None or found.also[0] is None:
        # No such token here, or the id kept for the slug is no longer its municipality's
        # (deleted and made again): read the id again, and the token with it.
        db.session.rollback()
        municipality_id = cached.municipality_id(slug, afresh=True)
        if municipality_id is None:
            raise ApiProblem(404, "No such municipality.")
        found = _credentials(municipality_id, slug, plain.strip())
    if found is None or not found.membership.user.active:
        raise unauthorised
    token, membership = found.token, found.membership
    updated_at, *forms_stamp = found.also
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        # At most once a minute: on SQLite this write takes the database's one write lock
        # until the request commits, so writing it on every request serialised them all.
        token.last_used_at = now
    name_request_user(token.user_id)
    published.use_stamp(*forms_stamp)
    g.municipality = cached.municipality(municipality_id, updated_at)
    # A request commits once, at its end, and answers from what it wrote: nothing it holds
    # is to be read again after its commit (the response headers still ask whether its
    # user is signed in). A rollback still forgets everything.
    db.session().expire_on_commit = False
    g.membership = membership
    # The token's user is the request's user: audit events name them, roles are theirs.
    g._login_user = membership.user


def _credentials(municipality_id: int, slug: str, plain: str) -> Credentials | None:
    """The token in the municipality's scope, with the stamps of the municipality's row
    and of the published forms, which the process keeps copies of: one statement."""
    set_request_scope(municipality_id, None)
    return find_usable(plain, cached.updated_at(municipality_id, slug), *published.stamp_columns())


@bp.errorhandler(HTTPException)
def _problem(error: HTTPException) -> Response:
    db.session.rollback()
    return from_http_exception(error)


def _body(required: set[str], allowed: set[str]) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    errors = [
        {"field": name, "message": "This field is required."}
        for name in sorted(required - set(data))
    ]
    errors += [
        {"field": name, "message": "This field is not allowed."}
        for name in sorted(set(data) - allowed)
    ]
    if errors:
        raise ApiProblem(422, "The request has invalid fields.", errors=errors)
    return data


def _invalid(field: str, message: str) -> ApiProblem:
    return ApiProblem(
        422, "The request has invalid fields.", errors=[{"field": field, "message": message}]
    )


def _need_date(data: dict[str, Any], field: str) -> date:
    value = data.get(field)
    parsed = None
    if isinstance(value, str) and len(value) == 10:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or not 1900 <= parsed.year <= 2100:
        raise _invalid(field, "Give a date as YYYY-MM-DD.")
    return parsed


def _text(data: dict[str, Any], field: str, limit: int, *, required: bool = True) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _invalid(field, f"Give a non-empty text of at most {limit} characters.")
    return value.strip()


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match() -> int:
    header = request.headers.get("If-Match")
    if header is None:
        raise ApiProblem(428, "Send If-Match with the ETag you read, so no change is lost.")
    seen = _whole_number(header.strip().removeprefix("W/").strip('"'))
    if seen is None:
        raise ApiProblem(412, "The If-Match header does not match the current version.")
    return seen


def _whole_number(text: str) -> int | None:
    """Up to nine ASCII digits as a number. str.isdigit() alone also takes "²", which
    int() then refuses, and int() of thousands of digits raises too."""
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def _is_id(value: Any) -> bool:
    """An id a row can have: beyond the column's integer the query itself would fail."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _json(
    payload: Any, status: int = 200, etag: int | None = None, location: str | None = None
) -> Response:
    response = jsonify(payload)
    response.status_code = status
    if etag is not None:
        response.headers["ETag"] = _etag(etag)
    if location:
        response.headers["Location"] = location
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = _whole_number(raw)
    if value is None or not low <= value <= high:
        raise _invalid(name, f"Give a whole number from {low} to {high}.")
    return value


# -- the municipality and its forms --------------------------------------------------------------


@bp.get("/settings")
def settings() -> Response:
    municipality: Municipality = g.municipality
    departments = db.session.scalars(
        select(Department).where(Department.active).order_by(Department.id)
    ).all()
    return _json(api_schema.settings_json(municipality, departments))


@bp.get("/indicators")
def indicators() -> Response:
    require("reports.view")
    municipality: Municipality = g.municipality
    report = municipality_report(municipality)
    record(
        "report.viewed",
        municipality_id=municipality.id,
        object_type="report",
        details={"via": "api"},
    )
    db.session.commit()
    return _json(as_json(report, municipality.slug))


@bp.get("/forms")
def forms() -> Response:
    local = list(g.municipality.settings.get("local_forms", []))
    versions = latest_versions([*CORE_FORMS, *local])
    return _json([api_schema.form_summary(v) for v in versions.values()])


@bp.get("/forms/<form_id>/versions/<int:version>")
def form_version(form_id: str, version: int) -> Response:
    allowed = {*CORE_FORMS, *g.municipality.settings.get("local_forms", [])}
    if not 0 < version <= MAX_ID:
        raise ApiProblem(404, "No such published form version.")
    row = db.session.scalar(
        select(FormVersion).where(FormVersion.form_id == form_id, FormVersion.version == version)
    )
    if row is None or form_id not in allowed:
        raise ApiProblem(404, "No such published form version.")
    return _json(api_schema.form_version_json(row))


# -- families --------------------------------------------------------------------------------------


@bp.get("/families")
def families() -> Response:
    require("families.list")
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 50, 1, 200)
    statement = select(Family).where(visible_families())
    status = request.args.get("status")
    if status is not None:
        if status not in FAMILY_STATUSES:
            raise _invalid("status", "Give active or exited.")
        statement = statement.where(Family.status == status)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.order_by(Family.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return _json(
        {
            "items": [family_json(f) for f in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.post("/families")
@idempotent
def enrol() -> Response:
    require("families.enrol")
    data = _body({"label", "enrolment_date"}, {"label", "enrolment_date"})
    label = _text(data, "label", 200)
    enrolment = _need_date(data, "enrolment_date")
    family = enrol_family(g.municipality, label or "", enrolment)
    if not can("families.view_all"):  # as on the page, else they could not open it
        assign(g.municipality, family, g.membership)
    return _json(
        family_json(family),
        201,
        etag=family.lock_version,
        location=url_for("api.family", family_id=family.id),
    )


@bp.get("/families/<int:family_id>")
def family(family_id: int) -> Response:
    row = family_or_404(family_id)
    record_family_reading(row, via="api", actor_id=g.membership.user_id)
    db.session.commit()
    return _json(family_json(row), etag=row.lock_version)


@bp.patch("/families/<int:family_id>")
def correct_family(family_id: int) -> Response:
    row = family_or_404(family_id)
    seen = _if_match()
    data = _body({"enrolment_date"}, {"enrolment_date"})
    new_date = _need_date(data, "enrolment_date")
    try:
        correct_enrolment_date(g.municipality, row, new_date, seen)
    except StaleFamily as exc:
        raise ApiProblem(412, "The family changed since you read it; read it again.") from exc
    except FamilyError as exc:
        raise _invalid("enrolment_date", str(exc)) from exc
    db.session.commit()
    return _json(family_json(row), etag=row.lock_version)


@bp.get("/families/<int:family_id>/members")
def members(family_id: int) -> Response:
    row = family_or_404(family_id)
    record_family_reading(row, via="api members", actor_id=g.membership.user_id)
    db.session.commit()
    return _json([member_json(m) for m in row.members])


@bp.post("/families/<int:family_id>/members")
@idempotent
def add_member_api(family_id: int) -> Response:
    row = family_or_404(family_id)
    data = _body({"role", "name"}, {"role", "name", "cpr", "start_date"})
    role = data.get("role")
    if role not in ("adult", "child"):
        raise _invalid("role", "Give adult or child.")
    name = _text(data, "name", 200)
    start = _need_date(data, "start_date") if "start_date" in data else row.enrolment_date
    cpr = data.get("cpr")
    if cpr is not None and not isinstance(cpr, str):
        raise _invalid("cpr", "Give the CPR number as DDMMYY-SSSS.")
    try:
        member = add_member(row, role, name or "", start, cpr)
    except FamilyError as exc:
        raise _invalid("cpr", str(exc)) from exc
    return _json(member_json(member), 201)


@bp.post("/families/<int:family_id>/members/<int:member_id>/end")
@idempotent
def end_member_api(family_id: int, member_id: int) -> Response:
    row = family_or_404(family_id)
    member = member_or_404(row, member_id)
    data = _body({"end_date"}, {"end_date"})
    try:
        end_member(member, _need_date(data, "end_date"))
    except FamilyError as exc:
        raise _invalid("end_date", str(exc)) from exc
    return _json(member_json(member))


@bp.get("/families/<int:family_id>/waves")
def waves(family_id: int) -> Response:
    row = family_or_404(family_id)
    today = dates.today()
    return _json([wave_json(w, today) for w in row.waves])


@bp.get("/families/<int:family_id>/plan")
def plan(family_id: int) -> Response:
    row = family_or_404(family_id, PLAN)
    the_plan = db.session.scalar(select(Plan).where(Plan.family_id == row.id))
    if the_plan is None:
        raise ApiProblem(404, "The family has no plan.")
    record_family_reading(row, via="api plan", actor_id=g.membership.user_id)
    db.session.commit()
    # External contact persons never get a goal hidden from them.
    periods = plan_phases(the_plan, row.enrolment_date, g.municipality.settings)
    return _json(plan_json(the_plan, active_team(row), can("plans.view_hidden_goals"), periods))


# -- submissions ---------------------------------------------------------------------------------


@bp.post("/families/<int:family_id>/waves/<int:wave_id>/submissions")
@idempotent
def create_submission(family_id: int, wave_id: int) -> Response:
    row, wave = family_and_wave_or_404(family_id, wave_id)
    if wave is None:
        abort(404)
    if wave.family_id != row.id:
        raise ApiProblem(404, "No such wave in this family.")
    allowed = {"form_id", "member_id", "answers", "status", CONFIRMED_FIELD, *WINDOW_FIELDS}
    data = _body({"form_id", "answers", "status"}, allowed)
    form_id, member = data.get("form_id"), None
    if data.get("member_id") is not None:
        if not _is_id(data["member_id"]):
            raise _invalid("member_id", "Give a member id.")
        # The family's members were read with it.
        member = next((m for m in row.members if m.id == data["member_id"]), None)
        if member is None:
            raise _invalid("member_id", "No such member in this family.")
    level = member.role if member else "family"
    version = next(
        (
            v
            for v in forms_for_wave(g.municipality, wave)
            if v.form_id == form_id and v.level == level
        ),
        None,
    )
    if version is None:
        raise _invalid("form_id", f"No {level}-level form with that id in this wave.")
    # A second submission of the form here is refused by the unique index (save_answers
    # answers 409), not looked for first. The answer is made from what was written, before
    # the commit (the idempotency wrapper's), so nothing is read again after it.
    submission = save_answers(wave, version, member, data, seen=None, new=True)
    return _json(
        submission_json(submission),
        201,
        etag=submission.lock_version,
        location=url_for("api.submission", submission_id=submission.id),
    )


@bp.get("/submissions/<int:submission_id>")
def submission(submission_id: int) -> Response:
    row = owned_by_family_or_404(Submission, submission_id)
    record_reading(row, via="api", actor_id=g.membership.user_id)
    db.session.commit()
    return _json(submission_json(row), etag=row.lock_version)


@bp.put("/submissions/<int:submission_id>")
def update_submission(submission_id: int) -> Response:
    row = owned_by_family_or_404(Submission, submission_id)
    seen = _if_match()
    data = _body({"answers", "status"}, {"answers", "status", CONFIRMED_FIELD, *WINDOW_FIELDS})
    if seen != row.lock_version:
        raise ApiProblem(412, "The submission changed since you read it; read it again.")
    saved = save_answers(row.wave, row.form_version, row.member, data, seen=seen)
    response = _json(submission_json(saved), etag=saved.lock_version)
    db.session.commit()
    return response


# -- the document ----------------------------------------------------------------------------------


@meta.get("/openapi.json")
def openapi() -> Response:
    return _json(api_schema.document())
