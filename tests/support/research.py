"""Studies, grants and answered waves for the tests of research packages and reports."""

from __future__ import annotations

from typing import Any

from app.core.db import db
from app.research.services import add_researcher, create_study, grant_study, set_wave_approval
from tests.support.answers import answer_wave


def birth_year(family: Any, role: str) -> int:
    """The birth year its intake gives a member of *family*, spread over the families; a
    CPR number made for a test person must agree with it (the forms check that)."""
    return 1980 + family.id % 15 if role == "adult" else 2015 + family.id % 8


def fill_wave(
    municipality: Any, family: Any, wave: Any, *, consent: bool = True, note: str | None = None
) -> None:
    """Every form of *wave* answered, with or without research consent; birth years
    spread over the families (:func:`birth_year`), and the local note (``bip_note``) as
    given."""

    def adjust(version: Any, raw: dict[str, Any]) -> None:
        if version.form_id == "family_intake":
            raw["research_consent"] = "true" if consent else "false"
        if version.form_id in ("adult_intake", "child_intake"):
            raw["birth_year"] = str(birth_year(family, version.level))
        if "bip_note" in raw and note is not None:
            raw["bip_note"] = note

    answer_wave(municipality, family, wave, adjust=adjust)


def make_study(researcher: Any, title: str = "Evaluering") -> Any:
    study = create_study(title, "Effekt af helhedsorienteret indsats", "Art. 6(1)(e), 9(2)(j)")
    add_researcher(study, researcher)
    db.session.commit()
    return study


def grant_and_approve(
    municipalities: dict[str, Any],
    study: Any,
    slugs: tuple[str, ...] = ("jammerbugt", "vejle", "brondby"),
    waves: tuple[str, ...] = ("intake", "follow_up_6"),
    free_text: bool = False,
) -> None:
    """The study granted each municipality's core and local forms, and *waves* approved."""
    from app.definitions.loader import CORE_FORMS

    for slug in slugs:
        municipality = municipalities[slug]
        grant_study(
            municipality,
            study,
            forms=[*CORE_FORMS, *municipality.settings.get("local_forms", [])],
            waves=["intake", "follow_up", "exit"],
            free_text=free_text,
        )
        for wave in waves:
            set_wave_approval(municipality, wave, True)
    db.session.commit()
