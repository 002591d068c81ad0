"""What templates show for members, family and wave statuses, and waves."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

MEMBER_ROLE_LABELS = {"adult": _l("adult"), "child": _l("child")}
FAMILY_STATUS_LABELS = {"active": _l("in the programme"), "exited": _l("left the programme")}
WAVE_STATUS_LABELS = {
    "upcoming": _l("upcoming"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "completed": _l("completed"),
    "missed": _l("not collected"),
}
MISSED_REASON_LABELS = {
    "declined": _l("the family declined"),
    "moved": _l("the family moved away"),
    "not_reached": _l("the family could not be reached"),
    "exited_early": _l("the family left the programme"),
    "other": _l("another reason"),
}


#: A kind of wave, as a study's access names it ("every follow-up").
WAVE_KIND_LABELS = {
    "intake": _l("Intake"),
    "follow_up": _l("Follow-ups"),
    "exit": _l("Exit"),
}


def wave_label(wave: Any) -> str:
    if wave.kind == "intake":
        return str(_l("Intake"))
    if wave.kind == "exit":
        return str(_l("Exit"))
    return str(_l("Follow-up after %(months)s months", months=wave.month))


def wave_key_label(key: str) -> str:
    if key.startswith("follow_up_"):
        return str(_l("Follow-up after %(months)s months", months=key.rsplit("_", 1)[1]))
    return str(_l("Intake") if key == "intake" else _l("Exit"))


def wave_kind_label(code: str) -> str:
    return str(WAVE_KIND_LABELS.get(code, code))


def init_app(app: Flask) -> None:
    app.add_template_filter(wave_kind_label, "wave_kind_title")

    @app.context_processor
    def families_context() -> dict[str, Any]:
        return {
            "member_role_label": lambda code: MEMBER_ROLE_LABELS.get(code, code),
            "family_status_label": lambda code: FAMILY_STATUS_LABELS.get(code, code),
            "wave_status_label": lambda code: WAVE_STATUS_LABELS.get(code, code),
            "missed_reason_label": lambda code: MISSED_REASON_LABELS.get(code, code),
            "wave_label": wave_label,
            "wave_key_label": wave_key_label,
            "wave_kind_label": wave_kind_label,
        }
