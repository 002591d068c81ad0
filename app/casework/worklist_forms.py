"""The form that records why a wave cannot be collected, and the one that takes it back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.core.forms import OneTimeForm
from app.families.labels import MISSED_REASON_LABELS
from app.families.models import MISSED_REASONS


class MissedForm(OneTimeForm):
    # No default: a careless click must not record a reason nobody chose.
    reason = RadioField(
        _l("Why can the wave not be collected?"),
        choices=[SelectChoice(r, MISSED_REASON_LABELS[r]) for r in MISSED_REASONS],
        validators=[DataRequired(_l("Choose why the forms cannot be collected."))],
    )


class UndoMissedForm(FlaskForm):
    """Only the CSRF token: taking a reason back changes nothing else."""
