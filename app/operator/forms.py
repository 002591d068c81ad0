"""The operator's forms: a new study, a researcher for a study, a two-factor reset."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.core.forms import OneTimeForm


class StudyForm(OneTimeForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Write the study's title.")), Length(max=300)],
    )
    purpose = TextAreaField(
        _l("Purpose"),
        description=_l("What the study examines, as the agreement with the municipalities says."),
        validators=[Length(max=5000)],
    )
    legal_basis = TextAreaField(
        _l("Legal basis"),
        description=_l(
            "For example: Art. 6(1)(e) and 9(2)(j) GDPR; section 10 of the Danish Data "
            "Protection Act."
        ),
        validators=[
            DataRequired(message=_l("Write the legal basis of the processing.")),
            Length(max=5000),
        ],
    )
    suppression_k = IntegerField(
        _l("Smallest count shown"),
        description=_l(
            "Counts below this number are hidden in the study's reports (1 to 100; usually 5)."
        ),
        default=5,
        validators=[
            InputRequired(message=_l("Write a whole number from 1 to 100.")),
            NumberRange(1, 100, message=_l("Write a whole number from 1 to 100.")),
        ],
    )


class ResearcherForm(OneTimeForm):
    user_id = SelectField(
        _l("Researcher"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(message=_l("Choose a researcher."))],
    )


class RemoveResearcherForm(FlaskForm):
    """A button per researcher; the id is in the address."""


class TwoFactorForm(OneTimeForm):
    email = StringField(
        _l("E-mail address"),
        description=_l("The e-mail address the person signs in with."),
        validators=[
            DataRequired(message=_l("Write the person's e-mail address.")),
            Length(max=254),
        ],
    )
    confirm = BooleanField(
        _l(
            "I have made sure it is really this person asking, and I understand that their "
            "authenticator app stops working and that they are signed out everywhere."
        )
    )
