"""The schemas of the API's list of waves (``GET /api/v1/<slug>/waves``), apart from
:mod:`app.api.components` so that neither grows past a screenful of reading."""

from __future__ import annotations

from typing import Any

from app.families.models import MISSED_REASONS, WAVE_STATUSES

DATE = {"type": "string", "format": "date"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def work_wave_schemas() -> dict[str, Any]:
    return {
        "WorkWave": {
            "type": "object",
            "required": [
                "family_id",
                "wave_id",
                "key",
                "due_date",
                "window_start",
                "window_end",
                "status",
                "missing_forms",
                "missed_reason",
            ],
            "properties": {
                "family_id": {"type": "integer"},
                "wave_id": {"type": "integer"},
                "key": {"type": "string"},
                "due_date": DATE,
                "window_start": DATE,
                "window_end": DATE,
                "status": {"type": "string", "enum": list(WAVE_STATUSES)},
                "missing_forms": {
                    "type": "array",
                    "description": "The forms the wave still expects: family forms have "
                    "member_id null, an adult's or child's form names the member",
                    "items": {
                        "type": "object",
                        "required": ["form_id", "member_id"],
                        "properties": {
                            "form_id": {"type": "string"},
                            "member_id": {"type": ["integer", "null"]},
                        },
                    },
                },
                "missed_reason": {
                    "type": ["string", "null"],
                    "enum": [*MISSED_REASONS, None],
                    "description": "Why the wave cannot be collected, where recorded",
                },
            },
        },
        "WorkWaveList": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": ref("WorkWave")},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
    }
