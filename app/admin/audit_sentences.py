"""The audit trail in words: one sentence per kind of event, and readable details.

:data:`app.admin.audit_events.EVENTS` holds each event's title and sentence; here
each value is put into words. The details a sentence does not use are listed after it,
each with its label from :data:`FIELD_LABELS` and its value in words (roles, statuses,
waves and forms by their titles, dates as dates, yes and no). A test scans the source for
every ``record("...")`` and fails on an event without a sentence, or a detail without a
label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin.audit_events import EVENTS
from app.auth.labels import ROLE_LABELS
from app.casework.reopen import REOPEN_REASON_LABELS
from app.collection.labels import SUBMISSION_STATUS_LABELS, WINDOW_REASON_LABELS, form_title
from app.core.formatting import format_day, format_moment
from app.families.labels import MEMBER_ROLE_LABELS, MISSED_REASON_LABELS, wave_key_label
from app.teams.labels import ASSIGNMENT_KIND_LABELS, TEAM_MODEL_LABELS
from app.tenancy.settings_spec import SETTINGS_SPEC, TABLES

#: Every key a record's details may hold, and its label when it is listed.
FIELD_LABELS: dict[str, LazyString] = {
    "alembic_revision": _l("database version"),
    "found": _l("families found"),
    "window_reason": _l("reason for the date outside the window"),
    "exit_wave": _l("the exit wave"),
    "reworded": _l("reworded"),
    "waves_restored": _l("follow-ups made again"),
    "known": _l("known account"),
    "answers_removed": _l("answers removed"),
    "backend": _l("database"),
    "changed_fields": _l("fields changed"),
    "changes": _l("changes"),
    "checksum": _l("checksum"),
    "child_welfare": _l("child-welfare data"),
    "code": _l("code"),
    "command_line": _l("from the server"),
    "confirmed_checks": _l("warnings confirmed"),
    "contact_person": _l("contact person"),
    "created": _l("published"),
    "created_at": _l("made"),
    "days": _l("days"),
    "department": _l("department"),
    "email": _l("e-mail"),
    "end_date": _l("end date"),
    "enrolment_date": _l("enrolment date"),
    "exit_due": _l("exit due"),
    "family_id": _l("family"),
    "file": _l("file"),
    "form": _l("form"),
    "forms": _l("forms"),
    "free_text": _l("free text"),
    "goal_id": _l("goal"),
    "invitation_id": _l("invitation"),
    "job": _l("job"),
    "kind": _l("part in the team"),
    "language": _l("language"),
    "life_area": _l("life area"),
    "made_at": _l("erased at"),
    "new": _l("new"),
    "new_role": _l("new role"),
    "old": _l("before"),
    "old_role": _l("former role"),
    "only": _l("indicator"),
    "operation": _l("what was done"),
    "out": _l("file"),
    "period_from": _l("from"),
    "period_to": _l("to"),
    "phase": _l("phase"),
    "platform_role": _l("platform role"),
    "reason": _l("reason"),
    "remote_addr": _l("address"),
    "role": _l("role"),
    "rows": _l("rows"),
    "version": _l("version"),
    "questions": _l("questions"),
    "adults": _l("adults"),
    "children": _l("children"),
    "already_present": _l("families there already"),
    "format": _l("file format"),
    "problems": _l("problems"),
    "sha256": _l("checksum"),
    "size": _l("size in bytes"),
    "source": _l("source"),
    "start_date": _l("start date"),
    "status": _l("status"),
    "team_model": _l("team model"),
    "title": _l("title"),
    "two_factor": _l("two-factor"),
    "user_id": _l("person"),
    "verified": _l("checked"),
    "via": _l("where"),
    "wave": _l("wave"),
    "waves": _l("waves"),
    "where": _l("where"),
    # Counts of privacy.anonymised, and what the API and reports add.
    "answers": _l("answers"),
    "goals": _l("goals"),
    "members": _l("members"),
    "families": _l("families"),
    "submissions": _l("forms"),
    "filter": _l("filter"),
    "expires_at": _l("valid until"),
    "replaced": _l("replaced"),
    "restored": _l("restored"),
    "checks_updated": _l("warnings changed"),
    "department_id": _l("home department"),
    "joint_team": _l("member of the joint team"),
    "organisation_name": _l("organisation"),
    "organisation_type": _l("kind of organisation"),
    "name_da": _l("name in Danish"),
    "name_en": _l("name in English"),
    "active": _l("active"),
    "instrument": _l("questions"),
    "kiosk": _l("the screen was handed over"),
    "self_reported": _l("answered by the person themselves"),
    "method": _l("signed in with"),
    "check": _l("the check that failed"),
}

#: Coded values that are words, not ids: the reasons, places and kinds the code records.
CODE_LABELS: dict[str, LazyString] = {
    "credentials": _l("wrong e-mail or password"),
    "sso": _l("the municipality's directory"),
    "password_login_off": _l("the municipality signs its staff in through its directory"),
    "state": _l("the answer did not belong to a sign-in started here, or came twice"),
    "provider_error": _l("the directory did not sign the person in"),
    "token": _l("the directory's answer did not pass the checks"),
    "no_email": _l("the directory gave no e-mail address"),
    "no_access": _l("the person has no access, and no default role is set"),
    "platform_account": _l("a platform account cannot sign in through a municipality"),
    "other_municipalities": _l("the account also has access to other municipalities"),
    "inactive": _l("the person is deactivated"),
    "idle": _l("no activity for too long"),
    "lifetime": _l("signed in for too long"),
    "page": _l("on the page"),
    "edit page": _l("when editing"),
    "plan page": _l("on the plan's page"),
    "api": _l("through the API"),
    "api members": _l("the members through the API"),
    "api plan": _l("the plan through the API"),
    "anonymise": _l("personal data removed"),
    "erase": _l("member erased"),
    "password_set": _l("a new password was set"),
    "password_changed": _l("the password was changed"),
    "deactivated": _l("the person was deactivated"),
    "no_municipality": _l("no access to any municipality is left"),
    "two_factor_reset": _l("the two-factor sign-in was reset"),
    "logout": _l("signed out"),
    "membership_removed": _l("the access was removed"),
    "retention": _l("the retention period ran out"),
    "request": _l("at the person's request"),
    "who5": _l("the WHO-5 questions"),
    "pdf": _l("as PDF"),
    "plan pdf": _l("the plan as PDF"),
}

_ROLE_KEYS = {"role", "old_role", "new_role", "platform_role"}
_OBJECT_LABELS: dict[str, LazyString] = {
    "audit": _l("the audit log"),
    "department": _l("a department"),
    "family": _l("family %(id)s"),
    "invitation": _l("invitation %(id)s"),
    "member": _l("a member of a family"),
    "municipality": _l("the municipality"),
    "plan": _l("family %(id)s"),
    "report": _l("the report"),
    "self_report_link": _l("a link for a parent"),
    "study": _l("study %(id)s"),
    "submission": _l("a form"),
    "token": _l("an API key"),
    "user": _l("person %(id)s"),
    "wave": _l("a wave"),
}


#: The filter's choices of what an event was done to.
OBJECT_TYPE_TITLES: dict[str, LazyString] = {
    "audit": _l("Audit log"),
    "department": _l("Department"),
    "family": _l("Family"),
    "invitation": _l("Invitation"),
    "member": _l("Member of a family"),
    "municipality": _l("Municipality"),
    "plan": _l("Joint plan"),
    "report": _l("Report"),
    "self_report_link": _l("Link for a parent"),
    "study": _l("Study"),
    "submission": _l("Form"),
    "token": _l("API key"),
    "user": _l("Person"),
    "wave": _l("Wave"),
}


def object_label(object_type: str | None, object_id: str | None) -> str:
    """What an event was done to, in words ("familie 12", "en medarbejder")."""
    if not object_type:
        return ""
    if object_type == "wave" and object_id:
        return wave_key_label(object_id)
    label = _OBJECT_LABELS.get(object_type)
    if label is None:
        return _("something")
    return str(label) % {"id": object_id or ""}


def _setting_label(table: str, key: str) -> str:
    for spec in SETTINGS_SPEC:
        if spec.table == table and spec.key == key:
            return str(spec.label)
    return str(FIELD_LABELS.get(key, _("a setting")))


def _settings_changes(changes: Mapping[str, Any]) -> str:
    """``{"follow_up": [{...}, {...}], "local_forms": [[...], [...]]}`` in words."""
    parts: list[str] = []
    for key, pair in sorted(changes.items()):
        old, new = [*list(pair), None, None][:2]
        if key in TABLES and isinstance(old or {}, dict) and isinstance(new or {}, dict):
            old, new = old or {}, new or {}
            for name in sorted(set(old) | set(new)):
                if old.get(name) != new.get(name):
                    parts.append(
                        _(
                            "%(what)s from %(old)s to %(new)s",
                            what=_setting_label(key, name),
                            old=value_text(name, old.get(name)),
                            new=value_text(name, new.get(name)),
                        )
                    )
        elif key == "local_forms":
            parts.append(
                _(
                    "local forms from %(old)s to %(new)s",
                    old=value_text("forms", old or []),
                    new=value_text("forms", new or []),
                )
            )
        else:
            parts.append(
                _(
                    "%(what)s from %(old)s to %(new)s",
                    what=str(FIELD_LABELS.get(key, _("a setting"))),
                    old=value_text(key, old),
                    new=value_text(key, new),
                )
            )
    return "; ".join(parts) if parts else _("nothing")


def _date_text(value: str) -> str | None:
    try:
        if len(value) == 10:
            return format_day(date.fromisoformat(value))
        return format_moment(datetime.fromisoformat(value))
    except ValueError:
        return None


def _form_versions(value: Any) -> str:
    """``["family_intake v2"]`` (what publishing records) as titles with their versions."""
    if not isinstance(value, list) or not value:
        return _("none")
    parts = []
    for item in value:
        form_id, _sep, version = str(item).rpartition(" v")
        parts.append(_("%(form)s, version %(n)s", form=form_title(form_id), n=version))
    return "; ".join(parts)


def _form_ids(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(form_title(str(v)) for v in value) if value else _("none")
    return form_title(str(value))


_VALUE_TEXTS: dict[str, Callable[[Any], str]] = {
    "form": _form_ids,
    # The names of fields and checks are the form's ids: how many is what a reader needs.
    "changed_fields": lambda v: str(len(v)) if isinstance(v, list) else "–",
    "confirmed_checks": lambda v: str(len(v)) if isinstance(v, list) else "–",
    "forms": _form_ids,
    "created": _form_versions,
    "replaced": _form_versions,
    "restored": _form_versions,
    "checks_updated": _form_versions,
    "wave": lambda v: wave_key_label(str(v)),
    "waves": lambda v: ", ".join(wave_key_label(str(k)) for k in v) if v else _("none"),
    "team_model": lambda v: str(TEAM_MODEL_LABELS.get(v, v)),
    "kind": lambda v: str(ASSIGNMENT_KIND_LABELS.get(v, v)),
    "status": lambda v: str(SUBMISSION_STATUS_LABELS.get(v, v)),
    "changes": lambda v: _settings_changes(v) if isinstance(v, Mapping) else value_text("", v),
}


#: What a reopening did with the exit wave (app/casework/reopen.py).
_EXIT_WAVE_TEXTS = {
    "none": _l("there was none"),
    "kept": _l("kept with its answers"),
    "removed": _l("removed, nothing was started in it"),
}


def value_text(key: str, value: Any) -> str:
    """One detail's value in words, never a Python repr."""
    if key in _VALUE_TEXTS and value is not None:
        return _VALUE_TEXTS[key](value)
    if key in _ROLE_KEYS and isinstance(value, str):
        return str(ROLE_LABELS.get(value, MEMBER_ROLE_LABELS.get(value, value)))
    if key == "role" and isinstance(value, str):
        return str(MEMBER_ROLE_LABELS.get(value, value))
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(key, v) for v in value) if value else _("none")
    if isinstance(value, Mapping):
        return ", ".join(
            f"{FIELD_LABELS.get(k, k)}: {value_text(k, v)}" for k, v in sorted(value.items())
        )
    text = str(value)
    if key == "window_reason" and text in WINDOW_REASON_LABELS:
        return str(WINDOW_REASON_LABELS[text])
    if key == "exit_wave" and text in _EXIT_WAVE_TEXTS:
        return str(_EXIT_WAVE_TEXTS[text])
    if key == "reason" and text in MISSED_REASON_LABELS:
        return str(MISSED_REASON_LABELS[text])
    if key == "reason" and text in REOPEN_REASON_LABELS:
        return str(REOPEN_REASON_LABELS[text])
    if text in CODE_LABELS:
        return str(CODE_LABELS[text])
    return _date_text(text) or text


@dataclass(frozen=True)
class Described:
    title: str
    sentence: str
    #: The details the sentence does not use: (label, value) in words.
    more: list[tuple[str, str]]


def describe(
    action: str,
    details: Mapping[str, Any] | None,
    *,
    actor: str | None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_name: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Described:
    """An event as a sentence in the page's language.

    *names* gives people's names by user id, for details such as ``user_id``.
    """
    details = dict(details or {})
    names = names or {}
    who = actor or _("The system")
    what = object_name or object_label(object_type, object_id)
    known = EVENTS.get(action)
    if known is None:
        return Described(_("Other event"), _("An event was recorded."), _more(details, names))
    template = str(known.sentence)
    values: dict[str, str] = {"actor": who, "object": what}
    used: set[str] = set()
    for key, value in details.items():
        placeholder = f"%({key})s"
        if placeholder in template:
            used.add(key)
            values[key] = _person(value, names) if key == "user_id" else value_text(key, value)
    for key in _placeholders(template) - set(values):
        values[key] = "–"
    sentence = template % values
    if sentence.startswith(("%", " ")):
        sentence = sentence.strip()
    return Described(
        str(known.title),
        sentence[:1].upper() + sentence[1:],
        _more({k: v for k, v in details.items() if k not in used}, names),
    )


def _person(value: Any, names: Mapping[str, str]) -> str:
    return names.get(str(value)) or str(_l("person %(id)s", id=value))


def _more(details: Mapping[str, Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    return [
        (
            str(FIELD_LABELS.get(key, _("detail"))),
            _person(value, names) if key == "user_id" else value_text(key, value),
        )
        for key, value in sorted(details.items())
    ]


def _placeholders(template: str) -> set[str]:
    names: set[str] = set()
    rest = template
    while "%(" in rest:
        rest = rest.split("%(", 1)[1]
        name, _sep, rest = rest.partition(")s")
        names.add(name)
    return names
