"""What every template can use: labels for codes, the switcher, dates in the user's language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, g
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.background import job_status

#: The Babel locale whose conventions dates and numbers follow in each interface language:
#: Danish as in Denmark ("22. maj 2026", "1,7"); English as in Britain ("22 May 2026",
#: "1.7"), not Babel's plain "en", which writes American dates ("May 22, 2026").
FORMAT_LOCALES = {"da": "da_DK", "en": "en_GB"}


def format_locale(language: str | None = None) -> str:
    """The locale for dates and numbers in *language* (default: the interface language)."""
    if language is None:
        from app.i18n import current_language

        try:
            language = current_language()
        except RuntimeError:  # outside an application context
            language = "da"
    return FORMAT_LOCALES.get(language, FORMAT_LOCALES["da"])


def _timezone() -> Any:
    try:
        return get_timezone()
    except RuntimeError:
        return babel_dates.get_timezone("Europe/Copenhagen")


def format_day(
    value: date | datetime | None, format: str = "long", language: str | None = None
) -> str:
    """A date as people read it: "22. maj 2026" / "22 May 2026"; "short" is "22.05.2026".

    A datetime (stored in UTC) is first moved to the installation's time zone, so an event
    at 23:30 UTC on 21 May is shown as 22 May in Copenhagen.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = moment.astimezone(_timezone()).date()
    return babel_dates.format_date(value, format=format, locale=format_locale(language))


def format_moment(
    value: datetime | None, format: str = "short", language: str | None = None
) -> str:
    """A point in time in the installation's time zone: "22.05.2026 14.30"."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return babel_dates.format_datetime(
        moment, format=format, tzinfo=_timezone(), locale=format_locale(language)
    )


def format_number(
    value: float | int | None,
    decimals: int | None = None,
    language: str | None = None,
    *,
    group: bool = True,
) -> str:
    """A number with the language's decimal sign and grouping: "1,7" / "1.7".

    *decimals* fixes the number of decimals; without it the number keeps its own (up to
    three). ``group=False`` leaves out the thousands separator (for years: "1930").
    """
    if value is None:
        return ""
    if decimals is None:
        pattern = None
    elif decimals == 0:
        pattern = "#,##0"
    else:
        pattern = "#,##0." + "0" * decimals
    return babel_numbers.format_decimal(
        value, format=pattern, locale=format_locale(language), group_separator=group
    )


def format_share(value: float | None, decimals: int = 0, language: str | None = None) -> str:
    """A share (0–1) as a percentage: "50 %" in Danish, "50%" in English."""
    if value is None:
        return ""
    locale = Locale.parse(format_locale(language))
    pattern = locale.percent_formats[None].pattern  # "#,##0 %" in Danish
    if decimals:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


ROLE_LABELS = {
    "admin": _l("administrator"),
    "lead": _l("lead"),
    "staff": _l("staff member"),
    "external": _l("external contact person"),
    "operator": _l("operator"),
    "researcher": _l("researcher"),
}

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
JOB_STATUS_LABELS = {
    "queued": _l("waiting to start"),
    "running": _l("being built"),
    "done": _l("ready"),
    "failed": _l("failed"),
    "abandoned": _l("stopped before it was finished: please start it again"),
}
MEMBER_ROLE_LABELS = {"adult": _l("adult"), "child": _l("child")}
FAMILY_STATUS_LABELS = {"active": _l("in the programme"), "exited": _l("left the programme")}
SUBMISSION_STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted")}
WAVE_STATUS_LABELS = {
    "upcoming": _l("upcoming"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "completed": _l("completed"),
    "missed": _l("missed"),
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


def form_errors(form: Any) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in form.errors.items() if name != "csrf_token"}


def form_labels(form: Any) -> dict[str, str]:
    return {field.name: field.label.text for field in form}


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not possible here"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

ERROR_TEXTS = {
    400: _l("Check what you entered and try again."),
    403: _l("Your role does not give access to this page. Ask your administrator if you need it."),
    404: _l("The page does not exist, or you do not have access to it."),
    405: _l("Go back and use the buttons on the page."),
    413: _l("Shorten the longest texts and try again."),
    429: _l("Wait a little and try again."),
    500: _l("The error has been logged. Try again in a moment."),
}


def init_app(app: Flask) -> None:
    from app import __version__
    from app.auth.services import own_memberships
    from app.definitions.compile import condition_attribute, describe_condition

    @app.context_processor
    def shared_context() -> dict[str, Any]:
        return {
            "municipality": g.get("municipality"),
            "helhed_version": __version__,
            "role_label": lambda code: ROLE_LABELS.get(code, code),
            "member_role_label": lambda code: MEMBER_ROLE_LABELS.get(code, code),
            "family_status_label": lambda code: FAMILY_STATUS_LABELS.get(code, code),
            "submission_status_label": lambda code: SUBMISSION_STATUS_LABELS.get(code, code),
            "wave_status_label": lambda code: WAVE_STATUS_LABELS.get(code, code),
            "wave_label": wave_label,
            "wave_key_label": wave_key_label,
            "team_model_help": lambda code: TEAM_MODEL_HELP.get(code, ""),
            "assign_heading": lambda code: ASSIGN_HEADINGS.get(code, ""),
            "assignment_kind_label": lambda code: ASSIGNMENT_KIND_LABELS.get(code, code),
            "format_percent": format_share,
            "today": date.today,
            "job_status_label": lambda code: JOB_STATUS_LABELS.get(code, code),
            "job_status": job_status,
            "form_errors": form_errors,
            "form_labels": form_labels,
            "condition_attribute": condition_attribute,
            "describe_condition": describe_condition,
            "team_model_label": lambda code: TEAM_MODEL_LABELS.get(code, code),
            "error_title": lambda code: ERROR_TITLES.get(code, ERROR_TITLES[500]),
            "error_text": lambda code: ERROR_TEXTS.get(code, ERROR_TEXTS[500]),
            "switcher_memberships": lambda: (
                own_memberships(current_user) if current_user.is_authenticated else []
            ),
        }

    @app.template_filter("municipality_name")
    def municipality_name(municipality_id: int) -> str:
        from app.core.db import db
        from app.i18n import current_language
        from app.tenancy.models import Municipality

        municipality = db.session.get(Municipality, municipality_id)
        return municipality.name(current_language()) if municipality else str(municipality_id)

    # Dates, times and numbers shown to people, in the interface language: one
    # implementation (above) for templates, flash messages and the report.
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(format_day, "format_date")
    app.add_template_filter(format_number, "format_decimal")
    app.add_template_filter(format_share, "format_percent")
