"""The OpenAPI 3.1 document of API v1, and the JSON of settings and form metadata.

The document is written out here, next to the serialisers, rather than generated from
the views: it is the contract, and the Schemathesis run in the test suite holds the
views to it.
"""

from __future__ import annotations

from typing import Any

from app.api.components import ID, ref, schemas
from app.api.idempotency import KEY_PATTERN
from app.api.links import add_links
from app.casework.worklists import API_STATUSES
from app.collection.models import FormVersion
from app.core.version import __version__
from app.tenancy.config_files import SLUG_RE
from app.tenancy.models import Department, Municipality
from app.tenancy.settings_spec import tables as settings_tables


def settings_json(municipality: Municipality, departments: list[Department]) -> dict[str, Any]:
    settings = municipality.settings
    return {
        "code": municipality.code,
        "slug": municipality.slug,
        "name_da": municipality.name_da,
        "name_en": municipality.name_en,
        "programme": municipality.programme_name,
        "team_model": municipality.team_model,
        **settings_tables(settings),
        "local_forms": settings.get("local_forms", []),
        "departments": [
            {"id": d.id, "code": d.code, "name_da": d.name_da, "name_en": d.name_en}
            for d in departments
        ],
    }


def form_summary(version: FormVersion) -> dict[str, Any]:
    definition = version.definition
    return {
        "form_id": version.form_id,
        "version": version.version,
        "level": version.level,
        "waves": definition["waves"],
        "title": definition["title"],
        "content_hash": version.content_hash,
    }


def form_version_json(version: FormVersion) -> dict[str, Any]:
    definition = version.definition
    return {
        **form_summary(version),
        "help": definition.get("help"),
        "sections": definition["sections"],
        "checks": definition.get("checks", []),
        "codelists": definition.get("codelists", {}),
    }


# -- the document ------------------------------------------------------------------------------


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


ERRORS = {
    "400": _problem("The body is not a JSON object"),
    "401": {
        **_problem("Missing, unknown, expired or revoked token"),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "403": _problem("The token's user may not do this"),
    "404": _problem("No such object in this municipality"),
    "409": _problem("The object exists already"),
    "412": _problem("The If-Match version is not the current one; nothing was changed"),
    "422": _problem("Invalid fields; each is named in `errors`; nothing was stored"),
    "428": _problem("If-Match is required"),
}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: ERRORS[code] for code in ("401", "404", *codes)}


def _ok(
    schema: dict[str, Any],
    *,
    status: str = "200",
    description: str = "OK",
    etag: bool = False,
    location: bool = False,
) -> dict[str, Any]:
    headers = {}
    if etag:
        headers["ETag"] = {"schema": {"type": "string"}, "description": "The lock version"}
    if location:
        headers["Location"] = {"schema": {"type": "string"}}
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return {status: response}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def _path(*names: str) -> list[dict[str, Any]]:
    params = [
        {
            "name": "slug",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": SLUG_RE.pattern},
            "description": "The municipality, e.g. vejle",
        }
    ]
    for name in names:
        schema = {"type": "string"} if name == "form_id" else ID
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag you read",
}


def _op(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]],
    body: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    }
    if body:
        op["requestBody"] = _body(body)
    return op


def document() -> dict[str, Any]:
    family_path = _path("family_id")
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Helhed API",
            "version": f"1 ({__version__})",
            "description": (
                "One municipality's programme data. Authenticate with a personal access "
                "token of that municipality (`Authorization: Bearer …`); the token acts with "
                "its user's role and never more. Errors are RFC 9457 problem documents."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/v1/{slug}/settings": {
                "get": _op(
                    "getSettings",
                    "The municipality's settings",
                    {**_ok(ref("Settings")), **_errors()},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/indicators": {
                "get": _op(
                    "getIndicators",
                    "The municipality's evaluation indicators, under disclosure control "
                    "(programme leads and admins)",
                    {**_ok(ref("Indicators")), **_errors("403")},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/forms": {
                "get": _op(
                    "listForms",
                    "The newest published version of each form in use",
                    {**_ok({"type": "array", "items": ref("FormSummary")}), **_errors()},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/forms/{form_id}/versions/{version}": {
                "get": _op(
                    "getFormVersion",
                    "A published form version: fields and code lists, da and en",
                    {**_ok(ref("FormVersion")), **_errors()},
                    parameters=[
                        *_path("form_id"),
                        {"name": "version", "in": "path", "required": True, "schema": ID},
                    ],
                )
            },
            "/api/v1/{slug}/families": {
                "get": _op(
                    "listFamilies",
                    "Families the token's user may see",
                    {**_ok(ref("FamilyList")), **_errors("403", "422")},
                    parameters=[
                        *_path(),
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["active", "exited"]},
                        },
                    ],
                ),
                "post": _op(
                    "enrolFamily",
                    "Enrol a family (team model copied from the municipality)",
                    {
                        **_ok(
                            ref("Family"),
                            status="201",
                            description="Enrolled",
                            etag=True,
                            location=True,
                        ),
                        **_errors("400", "403", "422"),
                    },
                    parameters=_path(),
                    body="FamilyCreate",
                ),
            },
            "/api/v1/{slug}/families/{family_id}": {
                "get": _op(
                    "getFamily",
                    "One family",
                    {**_ok(ref("Family"), etag=True), **_errors("403")},
                    parameters=family_path,
                ),
                "patch": _op(
                    "correctEnrolmentDate",
                    "Correct the enrolment date (moves every due date)",
                    {
                        **_ok(ref("Family"), etag=True),
                        **_errors("400", "403", "412", "422", "428"),
                    },
                    parameters=[*family_path, IF_MATCH],
                    body="FamilyPatch",
                ),
            },
            "/api/v1/{slug}/families/{family_id}/members": {
                "get": _op(
                    "listMembers",
                    "The family's adults and children",
                    {**_ok({"type": "array", "items": ref("Member")}), **_errors("403")},
                    parameters=family_path,
                ),
                "post": _op(
                    "addMember",
                    "Add an adult or a child",
                    {
                        **_ok(ref("Member"), status="201", description="Added"),
                        **_errors("400", "403", "422"),
                    },
                    parameters=family_path,
                    body="MemberCreate",
                ),
            },
            "/api/v1/{slug}/families/{family_id}/members/{member_id}/end": {
                "post": _op(
                    "endMember",
                    "End a person's membership of the family's course",
                    {**_ok(ref("Member")), **_errors("400", "403", "422")},
                    parameters=_path("family_id", "member_id"),
                    body="MemberEnd",
                )
            },
            "/api/v1/{slug}/families/{family_id}/waves": {
                "get": _op(
                    "listWaves",
                    "Waves with due dates, windows and status",
                    {**_ok({"type": "array", "items": ref("Wave")}), **_errors("403")},
                    parameters=family_path,
                )
            },
            "/api/v1/{slug}/waves": {
                "get": _op(
                    "listWorkWaves",
                    "The waves of the work lists, by status, of the active families the "
                    "token's user may see, with the forms each still misses (upcoming: the "
                    "window opens within 30 days)",
                    {**_ok(ref("WorkWaveList")), **_errors("403", "422")},
                    parameters=[
                        *_path(),
                        {
                            "name": "status",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "enum": list(API_STATUSES)},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                )
            },
            "/api/v1/{slug}/families/{family_id}/plan": {
                "get": _op(
                    "getPlan",
                    "The joint plan and the people around the family",
                    {**_ok(ref("Plan")), **_errors("403")},
                    parameters=family_path,
                )
            },
            "/api/v1/{slug}/families/{family_id}/waves/{wave_id}/submissions": {
                "post": _op(
                    "createSubmission",
                    "Start (or submit at once) a form for the family or a member",
                    {
                        **_ok(
                            ref("Submission"),
                            status="201",
                            description="Created",
                            etag=True,
                            location=True,
                        ),
                        **_errors("400", "403", "409", "412", "422"),
                    },
                    parameters=_path("family_id", "wave_id"),
                    body="SubmissionCreate",
                )
            },
            "/api/v1/{slug}/submissions/{submission_id}": {
                "get": _op(
                    "getSubmission",
                    "One submission with its answers",
                    {**_ok(ref("Submission"), etag=True), **_errors("403")},
                    parameters=_path("submission_id"),
                ),
                "put": _op(
                    "updateSubmission",
                    "Save new answers; submit by setting status",
                    {
                        **_ok(ref("Submission"), etag=True),
                        **_errors("400", "403", "409", "412", "422", "428"),
                    },
                    parameters=[*_path("submission_id"), IF_MATCH],
                    body="SubmissionUpdate",
                ),
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
    }
    add_links(spec["paths"])
    _idempotent_posts(spec["paths"])
    return spec


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    "description": (
        "A string of your own, new for each request (a UUID). Sent again with the same "
        "request within 24 hours, it returns the first response and changes nothing; with "
        "another body or path it answers 422."
    ),
}


def _idempotent_posts(paths: dict[str, Any]) -> None:
    """Every POST honours an Idempotency-Key (app.api.idempotency)."""
    for operations in paths.values():
        post = operations.get("post")
        if post is None:
            continue
        post["parameters"] = [*post["parameters"], IDEMPOTENCY_KEY]
        responses = post["responses"]
        responses["409"] = _problem(
            ("The object exists already, or " if "409" in responses else "")
            + "a request with this Idempotency-Key is still being processed"
        )
        responses["422"] = _problem(
            "Invalid fields, each named in `errors`, or an Idempotency-Key used before "
            "with another request; nothing was stored"
        )
