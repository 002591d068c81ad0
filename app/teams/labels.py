"""What templates and the report show for team models and assignment kinds."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

TEAM_MODEL_LABELS = {
    "coordinator": _l("Family coordinator"),
    "family_team": _l("Cross-disciplinary family team"),
    "single_entry": _l("Single entry"),
}

TEAM_MODEL_HELP = {
    "coordinator": _l("One family coordinator, from a home department, accompanies the family."),
    "family_team": _l(
        "A cross-disciplinary team is put together for the family; the family chooses its "
        "contact person."
    ),
    "single_entry": _l("One way in: an entry caseworker from the programme's joint team."),
}
ASSIGN_HEADINGS = {
    "coordinator": _l("Choose the family coordinator"),
    "family_team": _l("Add to the family's team"),
    "single_entry": _l("Choose the entry caseworker"),
}
ASSIGNMENT_KIND_LABELS = {
    "coordinator": _l("family coordinator"),
    "entry_caseworker": _l("entry caseworker"),
    "team_member": _l("team member"),
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def teams_context() -> dict[str, Any]:
        return {
            "team_model_label": lambda code: TEAM_MODEL_LABELS.get(code, code),
            "team_model_help": lambda code: TEAM_MODEL_HELP.get(code, ""),
            "assign_heading": lambda code: ASSIGN_HEADINGS.get(code, ""),
            "assignment_kind_label": lambda code: ASSIGNMENT_KIND_LABELS.get(code, code),
        }
