"""Form fields shared by several features."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import ValidationError

from app.core.dates import parse_date

#: What a one-time form token looks like (``secrets.token_urlsafe(32)``: 43 characters).
ONCE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class DateField(StringField):
    """A date typed as dd-mm-yyyy or picked in the browser (yyyy-mm-dd).

    Bad input stays in the field, so the user sees what they typed next to the message.
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = kwargs.pop("render_kw", {}) or {}
        render_kw.setdefault("type", "date")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.isoformat()
        return self.data or ""

    @property
    def date(self) -> date | None:
        return parse_date(self.data) if self.data else None

    def pre_validate(self, form: Any) -> None:
        if self.data and self.date is None:
            raise ValidationError(_l("Write a date as dd-mm-yyyy."))


class RequiredDate:
    def __call__(self, form: Any, field: DateField) -> None:
        if not field.data:
            raise ValidationError(_l("Write a date."))


#: At most nine digits, with an optional sign and spaces around.
_WHOLE_NUMBER = re.compile(r"\s*[-+]?[0-9]{1,9}\s*")


class WholeNumberField(IntegerField):
    """A whole number of at most nine digits.

    WTForms' ``NumberRange`` checks ``math.isnan(value)``, which raises OverflowError (a
    500) for an integer beyond a float's range; no number typed here needs ten digits.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        # WTForms' own message for text that is not a number is English on a Danish page;
        # every refusal here says the same in the reader's language.
        if valuelist and not _WHOLE_NUMBER.fullmatch(str(valuelist[0])):
            self.data = None
            raise ValueError(_l("Write a whole number."))
        super().process_formdata(valuelist)


def seen_version(raw: Any) -> int:
    """The lock version a form was opened at, from its hidden field.

    0 when the field is empty; -1 when it is not a version number (only a tampered form
    sends that), which no stored row has, so the save is refused as a conflict instead of
    failing with a 500.
    """
    text = str(raw or "").strip()
    if not text:
        return 0
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else -1


def new_once_token() -> str:
    return secrets.token_urlsafe(32)


class OneTimeForm(FlaskForm):
    """A form that creates a row. Each rendering carries a fresh random token; the view
    claims it when the row is created (:func:`app.tenancy.once.repeat_of`), so the same
    form sent twice (a double click, a reload of the answer, two tabs) creates one row.

    It is independent of the CSRF token: that one is the same for every form of a
    session, and it is switched off in the tests.
    """

    once_token = HiddenField(default=new_once_token)

    @property
    def sent_once_token(self) -> str | None:
        """The token this send carried, if it has the right shape. Read from the raw form
        data: the field's default would otherwise make up a new token for a send without
        one."""
        raw = self.once_token.raw_data or [""]
        token = str(raw[0] or "").strip()
        return token if ONCE_TOKEN.match(token) else None
