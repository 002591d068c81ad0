"""The OpenAPI 3.1 document of API v1, and the JSON of settings and form metadata.

The document is written out here, next to the serialisers, rather than generated from
the views: it is the contract, and the Schemathesis run in the test suite holds the
views to it.
"""

from __future__ import annotations

from typing import Any

from app import __version__
from app.api.idempotency import KEY_PATTERN
from app.api.links import add_links
from app.collection.models import FormVersion
from app.definitions.model import FIELD_TYPES, LEVELS, WAVES
from app.plans.models import GOAL_STATUSES, LIFE_AREAS
from app.tenancy.config_files import SLUG_RE
from app.tenancy.models import TEAM_MODELS, Department, Municipality

MAX_ID = 2_147_483_647


def settings_json(municipality: Municipality, departments: list[Department]) -> dict[str, Any]:
    settings = municipality.settings
    return {
        "code": municipality.code,
        "slug": municipality.slug,
        "name_da": municipality.name_da,
        "name_en": municipality.name_en,
        "programme": municipality.programme_name,
        "team_model": municipality.team_model,
        "follow_up": settings.get("follow_up", {}),
        "joint_plan": settings.get("joint_plan", {}),
        "access": settings.get("access", {}),
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
        "codelists": definition.get("codelists", {}),
    }


# -- the document ------------------------------------------------------------------------------

TEXT = {
    "type": "object",
    "properties": {"da": {"type": "string"}, "en": {"type": "string"}},
    "required": ["da", "en"],
}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
#: A date the API takes: the views refuse years before 1900 and after 2100.
INPUT_DATE = {
    **DATE,
    "pattern": "^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
}
#: A name or label: the views refuse one of only spaces.
REQUIRED_TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
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
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


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
                    {**_ok(_ref("Settings")), **_errors()},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/indicators": {
                "get": _op(
                    "getIndicators",
                    "The municipality's evaluation indicators, under disclosure control "
                    "(programme leads and admins)",
                    {**_ok(_ref("Indicators")), **_errors("403")},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/forms": {
                "get": _op(
                    "listForms",
                    "The newest published version of each form in use",
                    {**_ok({"type": "array", "items": _ref("FormSummary")}), **_errors()},
                    parameters=_path(),
                )
            },
            "/api/v1/{slug}/forms/{form_id}/versions/{version}": {
                "get": _op(
                    "getFormVersion",
                    "A published form version: fields and code lists, da and en",
                    {**_ok(_ref("FormVersion")), **_errors()},
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
                    {**_ok(_ref("FamilyList")), **_errors("403", "422")},
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
                            _ref("Family"),
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
                    {**_ok(_ref("Family"), etag=True), **_errors("403")},
                    parameters=family_path,
                ),
                "patch": _op(
                    "correctEnrolmentDate",
                    "Correct the enrolment date (moves every due date)",
                    {
                        **_ok(_ref("Family"), etag=True),
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
                    {**_ok({"type": "array", "items": _ref("Member")}), **_errors("403")},
                    parameters=family_path,
                ),
                "post": _op(
                    "addMember",
                    "Add an adult or a child",
                    {
                        **_ok(_ref("Member"), status="201", description="Added"),
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
                    {**_ok(_ref("Member")), **_errors("400", "403", "422")},
                    parameters=_path("family_id", "member_id"),
                    body="MemberEnd",
                )
            },
            "/api/v1/{slug}/families/{family_id}/waves": {
                "get": _op(
                    "listWaves",
                    "Waves with due dates, windows and status",
                    {**_ok({"type": "array", "items": _ref("Wave")}), **_errors("403")},
                    parameters=family_path,
                )
            },
            "/api/v1/{slug}/families/{family_id}/plan": {
                "get": _op(
                    "getPlan",
                    "The joint plan and the people around the family",
                    {**_ok(_ref("Plan")), **_errors("403")},
                    parameters=family_path,
                )
            },
            "/api/v1/{slug}/families/{family_id}/waves/{wave_id}/submissions": {
                "post": _op(
                    "createSubmission",
                    "Start (or submit at once) a form for the family or a member",
                    {
                        **_ok(
                            _ref("Submission"),
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
                    {**_ok(_ref("Submission"), etag=True), **_errors("403")},
                    parameters=_path("submission_id"),
                ),
                "put": _op(
                    "updateSubmission",
                    "Save new answers; submit by setting status",
                    {
                        **_ok(_ref("Submission"), etag=True),
                        **_errors("400", "403", "409", "412", "422", "428"),
                    },
                    parameters=[*_path("submission_id"), IF_MATCH],
                    body="SubmissionUpdate",
                ),
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
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


def _schemas() -> dict[str, Any]:
    field = {
        "type": "object",
        "required": ["name", "type"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": list(FIELD_TYPES)},
            "label": TEXT,
            "help": TEXT,
            "unit": TEXT,
            "required": {"type": "boolean"},
            "min": {"type": ["number", "string"]},
            "max": {"type": ["number", "string"]},
            "pattern": {"type": "string"},
            "codelist": {"type": "string"},
            "show_if": {"type": "string"},
            "identifying": {"type": "boolean"},
            "free_text": {"type": "boolean"},
            "compute": {"type": "string"},
            "decimals": {"type": "integer"},
            "anchors": {"type": "object", "additionalProperties": TEXT},
        },
    }
    code = {
        "type": "object",
        "required": ["code", "label"],
        "properties": {
            "code": {"type": "string"},
            "label": TEXT,
            "valid_from": DATE,
            "valid_to": DATE,
            "attributes": {"type": "object"},
        },
    }
    summary = {
        "type": "object",
        "required": ["form_id", "version", "level", "waves", "title", "content_hash"],
        "properties": {
            "form_id": {"type": "string"},
            "version": {"type": "integer"},
            "level": {"type": "string", "enum": list(LEVELS)},
            "waves": {"type": "array", "items": {"type": "string", "enum": list(WAVES)}},
            "title": TEXT,
            "content_hash": {"type": "string"},
        },
    }
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "Figure": {
            "type": "object",
            "required": ["n", "value", "status"],
            "properties": {
                "n": {"type": ["integer", "null"], "description": "People it is based on"},
                "value": {"type": ["number", "null"]},
                "status": {"type": "string", "enum": ["shown", "suppressed", "no_data"]},
            },
        },
        "Indicators": {
            "type": "object",
            "required": ["municipality", "as_of", "k", "rule", "indicators"],
            "properties": {
                "municipality": {"type": "string"},
                "as_of": {"type": "string", "format": "date"},
                "k": {"type": "integer", "minimum": 2},
                "rule": {"type": "string"},
                "indicators": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "id",
                            "kind",
                            "unit",
                            "name",
                            "n",
                            "value",
                            "status",
                            "by_team_model",
                        ],
                        "properties": {
                            "id": {"type": "string"},
                            "kind": {"type": "string", "enum": ["count", "rate", "mean"]},
                            "unit": {
                                "type": "string",
                                "enum": ["families", "adults", "children", "waves"],
                            },
                            "name": {
                                "type": "object",
                                "required": ["da", "en"],
                                "properties": {
                                    "da": {"type": "string"},
                                    "en": {"type": "string"},
                                },
                            },
                            "n": {"type": ["integer", "null"]},
                            "value": {"type": ["number", "null"]},
                            "status": {
                                "type": "string",
                                "enum": ["shown", "suppressed", "no_data"],
                            },
                            "by_team_model": {
                                "type": "object",
                                "additionalProperties": _ref("Figure"),
                            },
                        },
                    },
                },
            },
        },
        "Settings": {
            "type": "object",
            "required": [
                "code",
                "slug",
                "name_da",
                "name_en",
                "programme",
                "team_model",
                "follow_up",
                "joint_plan",
                "access",
                "local_forms",
                "departments",
            ],
            "properties": {
                "code": {"type": "string", "pattern": "^[0-9]{4}$"},
                "slug": {"type": "string"},
                "name_da": {"type": "string"},
                "name_en": {"type": "string"},
                "programme": {"type": "string"},
                "team_model": {"type": "string", "enum": list(TEAM_MODELS)},
                "follow_up": {
                    "type": "object",
                    "properties": {
                        "interval_months": {"type": "integer"},
                        "window_days": {"type": "integer"},
                        "count": {"type": "integer"},
                    },
                },
                "joint_plan": {
                    "type": "object",
                    "properties": {
                        "phases": {"type": "integer"},
                        "phase_months": {"type": "integer"},
                    },
                },
                "access": {
                    "type": "object",
                    "properties": {
                        "external_contacts": {"type": "boolean"},
                        "joint_team_sees_all": {"type": "boolean"},
                    },
                },
                "local_forms": {"type": "array", "items": {"type": "string"}},
                "departments": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "code", "name_da", "name_en"],
                        "properties": {
                            "id": {"type": "integer"},
                            "code": {"type": "string"},
                            "name_da": {"type": "string"},
                            "name_en": {"type": "string"},
                        },
                    },
                },
            },
        },
        "FormSummary": summary,
        "FormVersion": {
            "allOf": [
                summary,
                {
                    "type": "object",
                    "required": ["sections", "codelists"],
                    "properties": {
                        "help": {"anyOf": [TEXT, {"type": "null"}]},
                        "sections": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "fields"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "title": TEXT,
                                    "fields": {"type": "array", "items": field},
                                },
                            },
                        },
                        "codelists": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["codelist", "codes"],
                                "properties": {
                                    "codelist": {"type": "string"},
                                    "title": TEXT,
                                    "codes": {"type": "array", "items": code},
                                },
                            },
                        },
                    },
                },
            ],
        },
        "Family": {
            "type": "object",
            "required": [
                "id",
                "label",
                "enrolment_date",
                "team_model",
                "status",
                "exit_date",
                "lock_version",
            ],
            "properties": {
                "id": {"type": "integer"},
                "label": {"type": "string"},
                "enrolment_date": DATE,
                "team_model": {"type": "string", "enum": list(TEAM_MODELS)},
                "status": {"type": "string", "enum": ["active", "exited"]},
                "exit_date": NULLABLE_DATE,
                "lock_version": {"type": "integer"},
            },
        },
        "FamilyList": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": _ref("Family")},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
        "FamilyCreate": {
            "type": "object",
            "required": ["label", "enrolment_date"],
            "additionalProperties": False,
            "properties": {
                "label": REQUIRED_TEXT,
                "enrolment_date": INPUT_DATE,
            },
        },
        "FamilyPatch": {
            "type": "object",
            "required": ["enrolment_date"],
            "additionalProperties": False,
            "properties": {"enrolment_date": INPUT_DATE},
        },
        "Member": {
            "type": "object",
            "required": ["id", "role", "name", "cpr_masked", "start_date", "end_date"],
            "properties": {
                "id": {"type": "integer"},
                "role": {"type": "string", "enum": ["adult", "child"]},
                "name": {"type": "string"},
                "cpr_masked": {
                    "type": ["string", "null"],
                    "description": "Only the date part; the number never leaves",
                },
                "start_date": DATE,
                "end_date": NULLABLE_DATE,
            },
        },
        "MemberCreate": {
            "type": "object",
            "required": ["role", "name"],
            "additionalProperties": False,
            "properties": {
                "role": {"type": "string", "enum": ["adult", "child"]},
                "name": REQUIRED_TEXT,
                "cpr": {
                    "type": "string",
                    "pattern": "^[0-9]{6}-?[0-9]{4}$",
                    "description": "Optional; stored encrypted, never returned",
                },
                "start_date": INPUT_DATE,
            },
        },
        "MemberEnd": {
            "type": "object",
            "required": ["end_date"],
            "additionalProperties": False,
            "properties": {"end_date": INPUT_DATE},
        },
        "Wave": {
            "type": "object",
            "required": [
                "id",
                "key",
                "kind",
                "month",
                "due_date",
                "window_start",
                "window_end",
                "status",
                "completed_at",
            ],
            "properties": {
                "id": {"type": "integer"},
                "key": {"type": "string"},
                "kind": {"type": "string", "enum": list(WAVES)},
                "month": {"type": ["integer", "null"]},
                "due_date": DATE,
                "window_start": DATE,
                "window_end": DATE,
                "status": {
                    "type": "string",
                    "enum": ["upcoming", "due", "overdue", "completed", "missed"],
                },
                "completed_at": DATETIME,
            },
        },
        "Plan": {
            "type": "object",
            "required": ["family_id", "phases", "phase_months", "goals", "team"],
            "properties": {
                "family_id": {"type": "integer"},
                "phases": {"type": "integer"},
                "phase_months": {"type": "integer"},
                "goals": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "id",
                            "phase",
                            "life_area",
                            "description",
                            "responsible_department",
                            "statuses",
                        ],
                        "properties": {
                            "id": {"type": "integer"},
                            "phase": {"type": "integer"},
                            "life_area": {"type": "string", "enum": list(LIFE_AREAS)},
                            "description": {"type": "string"},
                            "responsible_department": {"type": ["string", "null"]},
                            "statuses": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["wave", "status"],
                                    "properties": {
                                        "wave": {"type": "string"},
                                        "status": {"type": "string", "enum": list(GOAL_STATUSES)},
                                    },
                                },
                            },
                        },
                    },
                },
                "team": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "email", "kind", "department", "contact_person"],
                        "properties": {
                            "name": {"type": "string"},
                            "email": {"type": "string"},
                            "kind": {"type": "string"},
                            "department": {"type": ["string", "null"]},
                            "contact_person": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "Submission": {
            "type": "object",
            "required": [
                "id",
                "family_id",
                "wave_id",
                "member_id",
                "form_id",
                "form_version",
                "status",
                "answers",
                "lock_version",
                "updated_at",
            ],
            "properties": {
                "id": {"type": "integer"},
                "family_id": {"type": "integer"},
                "wave_id": {"type": "integer"},
                "member_id": {"type": ["integer", "null"]},
                "form_id": {"type": "string"},
                "form_version": {"type": "integer"},
                "status": {"type": "string", "enum": ["draft", "submitted"]},
                "answers": {
                    "type": "object",
                    "description": "Field name to value: codes, ISO dates, numbers, "
                    "booleans, lists of codes",
                },
                "lock_version": {"type": "integer"},
                "updated_at": DATETIME,
            },
        },
        "SubmissionCreate": {
            "type": "object",
            "required": ["form_id", "answers", "status"],
            "additionalProperties": False,
            "properties": {
                "form_id": {"type": "string"},
                "member_id": {"anyOf": [ID, {"type": "null"}]},
                "answers": {"type": "object"},
                "status": {"type": "string", "enum": ["draft", "submitted"]},
            },
        },
        "SubmissionUpdate": {
            "type": "object",
            "required": ["answers", "status"],
            "additionalProperties": False,
            "properties": {
                "answers": {"type": "object"},
                "status": {"type": "string", "enum": ["draft", "submitted"]},
            },
        },
    }
