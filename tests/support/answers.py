"""Forms answered through the service layer, as staff would submit them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from app.collection.services import forms_for_wave, save_submission
from tests.support.checks import warning_ids

#: Changes a test makes to the valid answers of one form before it is submitted.
Adjust = Callable[[Any, dict[str, Any]], None]


def answer_wave(
    municipality: Any,
    family: Any,
    wave: Any,
    *,
    today: date | None = None,
    members_on: date | None = None,
    adjust: Adjust | None = None,
    actor_id: int | None = None,
) -> None:
    """Every form of *wave* submitted, once for the family and once for each member its
    level asks about (members as of *members_on*, the wave's due date unless given).

    Answers are valid for each form; *adjust(version, raw)* may change them first. The
    form's warning checks are confirmed, as a caseworker who has looked at them would.
    """
    from tests.support.forms import valid_formdata

    today = today or date.today()
    members_on = members_on or wave.due_date
    for version in forms_for_wave(municipality, wave):
        subjects = (
            [None]
            if version.level == "family"
            else family.active_members(members_on, version.level)
        )
        for member in subjects:
            raw = valid_formdata(version.form, today)
            if adjust is not None:
                adjust(version, raw)
            save_submission(
                municipality,
                wave,
                version,
                member,
                raw,
                submit=True,
                seen_lock_version=None,
                actor_id=actor_id,
                today=today,
                confirmed=warning_ids(version.form),
            )
