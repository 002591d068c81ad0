"""What templates need from the definitions: the conditions that show or hide a field."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.definitions.compile import condition_attribute, describe_condition


def init_app(app: Flask) -> None:
    @app.context_processor
    def definitions_context() -> dict[str, Any]:
        return {
            "condition_attribute": condition_attribute,
            "describe_condition": describe_condition,
        }
