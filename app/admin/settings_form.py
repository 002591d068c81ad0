"""The admin settings form: the team model, then one field per setting of the spec."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, StopValidation

from app.core.forms import WholeNumberField
from app.teams.labels import TEAM_MODEL_LABELS
from app.tenancy.models import TEAM_MODELS, Municipality
from app.tenancy.settings_spec import SETTINGS_SPEC, TABLES, Setting, in_table, tables

#: What switching a local form on or off does (app.collection.services.refresh_open_waves).
LOCAL_FORMS_EFFECT = _l(
    "Families already enrolled: waves not yet completed ask for the forms switched on and "
    "no longer wait for those switched off, and whether each is complete is decided again "
    "at once. Completed waves and answers already given are kept."
)
TEAM_MODEL_EFFECT = _l(
    "Families already enrolled keep the model they were enrolled under; only families "
    "enrolled from now on get the new one."
)


class _SettingNumber(WholeNumberField):
    """A whole number whose every refusal is one sentence in the page's language.

    A key left out of the post keeps today's value (WTForms keeps the object data); an
    empty or unreadable one is refused, and the bounds are not checked on top of that.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shown as required (the asterisk), though pre_validate does the checking.
        self.flags.required = True

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Write a whole number.")) from exc

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            # The reason is in process_errors already; stop before the bounds say it again.
            raise StopValidation("" if self.process_errors else _l("Write a whole number."))


def _settings_field(spec: Setting) -> Field:
    """The field of one setting: its label, help and bounds come from the spec."""
    if spec.is_switch:
        return BooleanField(spec.label, description=spec.help or "")
    return _SettingNumber(
        spec.label,
        description=spec.help or "",
        validators=[
            NumberRange(
                min=spec.minimum,
                max=spec.maximum,
                message=_l("Write a whole number from %(min)s to %(max)s."),
            )
        ],
    )


class SettingsForm(FlaskForm):
    """Each setting's field is named by its key (the spec keeps keys unique)."""

    team_model = SelectField(
        _l("Team model for families enrolled from now on"),
        choices=[SelectChoice(m, TEAM_MODEL_LABELS[m]) for m in TEAM_MODELS],
        description=TEAM_MODEL_EFFECT,
    )

    def settings(self) -> dict[str, dict[str, Any]]:
        """What was entered, table by table, in the spec's types."""
        entered: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
        for spec in SETTINGS_SPEC:
            entered[spec.table][spec.key] = spec.kind(self[spec.key].data)
        return entered

    @staticmethod
    def tables() -> list[tuple[LazyString, list[Setting]]]:
        """Each table's heading and settings, in the spec's order, for the page."""
        return [(heading, list(in_table(table))) for table, heading in TABLES.items()]


for _spec in SETTINGS_SPEC:
    setattr(SettingsForm, _spec.key, _settings_field(_spec))


def settings_form(municipality: Municipality) -> SettingsForm:
    """The form filled with today's settings (the spec's default where none is stored)."""
    current = tables(municipality.settings)
    return SettingsForm(
        data={
            "team_model": municipality.team_model,
            **{key: value for values in current.values() for key, value in values.items()},
        }
    )


def saved_effects(changes: dict[str, list[Any]]) -> list[tuple[LazyString, LazyString]]:
    """What a save does to enrolled families: (setting, effect) for each setting changed.

    *changes* is what ``update_settings`` recorded: each table (or ``team_model``,
    ``local_forms``) with its old and new value.
    """
    effects: list[tuple[LazyString, LazyString]] = []
    if "team_model" in changes:
        effects.append((_l("Team model"), TEAM_MODEL_EFFECT))
    for spec in SETTINGS_SPEC:
        if spec.table not in changes:
            continue
        old, new = [*list(changes[spec.table] or []), None, None][:2]
        if (old or {}).get(spec.key) != (new or {}).get(spec.key):
            effects.append((spec.label, spec.effect_on_enrolled))
    if "local_forms" in changes:
        effects.append((_l("Local forms"), LOCAL_FORMS_EFFECT))
    return effects
