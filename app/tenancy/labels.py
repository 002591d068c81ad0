"""What templates show of the municipality: the current one, and any one by its id."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from app.core.db import db
from app.core.language import current_language
from app.tenancy.models import Municipality


def init_app(app: Flask) -> None:
    @app.context_processor
    def tenancy_context() -> dict[str, Any]:
        return {"municipality": g.get("municipality")}

    @app.template_filter("municipality_name")
    def municipality_name(municipality_id: int) -> str:
        municipality = db.session.get(Municipality, municipality_id)
        return municipality.name(current_language()) if municipality else str(municipality_id)
