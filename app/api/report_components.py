"""The API's schemas of a municipality's report: its figures, and its targets."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def report_schemas() -> dict[str, Any]:
    return {
        "Target": {
            "type": "object",
            "required": ["indicator", "comparison", "target", "by", "current", "status", "reached"],
            "properties": {
                "indicator": {"type": "string"},
                "comparison": {"type": "string", "enum": ["at_least", "at_most"]},
                "target": {"type": "number"},
                "by": {"type": ["string", "null"], "format": "date"},
                "current": {
                    "type": ["number", "null"],
                    "description": "The figure now; null when hidden or there is no data",
                },
                "status": {"type": "string", "enum": ["shown", "suppressed", "no_data"]},
                "reached": {"type": ["boolean", "null"]},
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
            "required": ["municipality", "as_of", "k", "rule", "indicators", "targets"],
            "properties": {
                "targets": {
                    "type": "array",
                    "description": "The programme's targets (its municipality file) against "
                    "the figures above, under the same disclosure control",
                    "items": ref("Target"),
                },
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
                                "additionalProperties": ref("Figure"),
                            },
                        },
                    },
                },
            },
        },
    }
