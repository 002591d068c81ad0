"""Answers that satisfy a form definition, and a family's intake draft saved with them."""

from __future__ import annotations

from typing import Any

from app.core.db import db
from tests.support.checks import avoid_checks


def valid_formdata(form: Any, today: Any, *, language: str = "da") -> dict[str, Any]:
    """Answers that satisfy *form*: every visible question, of the right type."""
    data: dict[str, Any] = {}
    for field in form.fields:
        if field.kind.input:
            sample = field.kind.sample(field, form, today)
            data[field.name] = field.kind.to_formdata(sample, language)
    return avoid_checks(form, data, today)


def save_family_draft(municipality: Any, family_id: int, today: Any) -> None:
    """A draft of the family-level intake form, saved through the service layer."""
    from app.collection.services import forms_for_wave, save_submission
    from app.families.models import Family

    family = db.session.get(Family, family_id)
    wave = next(w for w in family.waves if w.kind == "intake")
    version = next(v for v in forms_for_wave(municipality, wave) if v.level == "family")
    save_submission(
        municipality,
        wave,
        version,
        None,
        valid_formdata(version.form, today),
        submit=False,
        seen_lock_version=None,
        actor_id=None,
        today=today,
    )
