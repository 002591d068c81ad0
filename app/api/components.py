"""The components of API v1's OpenAPI document: the schemas of every body it takes and
gives, and the types they share (:mod:`app.api.schema` writes the paths around them)."""

from __future__ import annotations

from typing import Any

from app.api.checks import CHECK_SCHEMA, CONFIRMED_SCHEMA, ERROR_PROPERTIES
from app.api.report_components import report_schemas
from app.api.saving import WINDOW_PROPERTIES
from app.api.work_components import work_wave_schemas
from app.collection.windows import WINDOW_REASONS
from app.core.db import MAX_ID
from app.definitions.fields import FIELD_TYPES
from app.definitions.model import LEVELS, WAVES
from app.families.models import WAVE_STATUSES
from app.plans.models import GOAL_STATUSES, LIFE_AREAS
from app.tenancy.models import TEAM_MODELS
from app.tenancy.settings_spec import TABLES as SETTINGS_TABLES
from app.tenancy.settings_spec import json_schema as settings_json_schema

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


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
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
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                            **ERROR_PROPERTIES,
                        },
                    },
                },
            },
        },
        **report_schemas(),
        "Settings": {
            "type": "object",
            "required": [
                "code",
                "slug",
                "name_da",
                "name_en",
                "programme",
                "team_model",
                *SETTINGS_TABLES,
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
                # Every table and key of the settings spec, with its type and bounds.
                **settings_json_schema(),
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
                        "checks": {"type": "array", "items": CHECK_SCHEMA},
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
                "items": {"type": "array", "items": ref("Family")},
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
                    "enum": list(WAVE_STATUSES),
                },
                "completed_at": DATETIME,
            },
        },
        **work_wave_schemas(),
        "Plan": {
            "type": "object",
            "required": ["family_id", "phases", "phase_months", "periods", "goals", "team"],
            "properties": {
                "family_id": {"type": "integer"},
                "phases": {"type": "integer"},
                "phase_months": {"type": "integer"},
                "periods": {
                    "type": "array",
                    "description": "Each phase's dates (from the enrolment date) and focus.",
                    "items": {
                        "type": "object",
                        "required": ["phase", "starts", "ends", "focus"],
                        "properties": {
                            "phase": {"type": "integer"},
                            "starts": {"type": "string", "format": "date"},
                            "ends": {"type": "string", "format": "date"},
                            "focus": {
                                "type": ["object", "null"],
                                "properties": {
                                    "da": {"type": "string"},
                                    "en": {"type": "string"},
                                },
                            },
                        },
                    },
                },
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
                            "target_date": {"type": ["string", "null"], "format": "date"},
                            "responsible_person": {"type": ["string", "null"]},
                            "family_words": {"type": ["string", "null"]},
                            "hidden_from_external": {"type": "boolean"},
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
                "confirmed_checks",
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
                "confirmed_checks": CONFIRMED_SCHEMA,
                "window_reason": {
                    "type": ["string", "null"],
                    "enum": [*WINDOW_REASONS, None],
                    "description": "Why it was submitted outside its wave's window",
                },
                "self_reported": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Fields the person answered themselves (a self-report "
                    "link); a save that changes them answers 422",
                },
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
                "confirmed_checks": CONFIRMED_SCHEMA,
                **WINDOW_PROPERTIES,
            },
        },
        "SubmissionUpdate": {
            "type": "object",
            "required": ["answers", "status"],
            "additionalProperties": False,
            "properties": {
                "answers": {"type": "object"},
                "status": {"type": "string", "enum": ["draft", "submitted"]},
                "confirmed_checks": CONFIRMED_SCHEMA,
                **WINDOW_PROPERTIES,
            },
        },
    }
