from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.core.forms import DateField, OneTimeForm, RequiredDate


class EnrolForm(OneTimeForm):
    label = StringField(
        _l("Name of the family"),
        validators=[DataRequired(_l("Write a name staff can recognise.")), Length(max=200)],
        description=_l('For example "Familien Hansen". Shown only inside the municipality.'),
    )
    enrolment_date = DateField(_l("Enrolment date"), validators=[RequiredDate()])


class MemberForm(OneTimeForm):
    role = RadioField(
        _l("Adult or child"),
        choices=[SelectChoice("adult", _l("Adult")), SelectChoice("child", _l("Child"))],
        validators=[DataRequired(_l("Choose adult or child."))],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Write the name.")), Length(max=200)]
    )
    cpr = StringField(
        _l("CPR number (optional)"),
        validators=[
            Optional(),
            Regexp(r"^\s*\d{6}-?\d{4}\s*$", message=_l("Write the CPR number as DDMMYY-SSSS.")),
        ],
        description=_l("Stored encrypted, shown masked and never exported."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    start_date = DateField(
        _l("Part of the family's course from"),
        validators=[Optional()],
        description=_l("Leave empty to use the enrolment date."),
    )


class EndMemberForm(FlaskForm):
    end_date = DateField(_l("Left the family's course on"), validators=[RequiredDate()])


class CorrectEnrolmentForm(FlaskForm):
    enrolment_date = DateField(_l("Correct enrolment date"), validators=[RequiredDate()])
    lock_version = HiddenField()


class ExitForm(FlaskForm):
    exit_date = DateField(_l("Expected exit date"), validators=[RequiredDate()])
