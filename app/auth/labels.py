"""What templates show for roles, and the municipality switcher's memberships."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.services import own_memberships

ROLE_LABELS = {
    "admin": _l("administrator"),
    "lead": _l("lead"),
    "staff": _l("staff member"),
    "external": _l("external contact person"),
    "operator": _l("operator"),
    "researcher": _l("researcher"),
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def auth_context() -> dict[str, Any]:
        return {
            "role_label": lambda code: ROLE_LABELS.get(code, code),
            "switcher_memberships": lambda: (
                own_memberships(current_user) if current_user.is_authenticated else []
            ),
        }
