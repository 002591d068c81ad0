"""Writes to family records. Each function flushes and audits; the request commits once.

Waves: intake (month 0) is due on the enrolment date and may be filled within the window
after it; follow-up *k* is due ``k × interval`` months after enrolment, ± the window; exit is
added when the family starts leaving. A wave's status (``Wave.status`` and
``Wave.status_sql``) is upcoming, due (window open), overdue (window closed, forms
missing), missed (a reason recorded) or completed once every form the wave expects is
submitted for the family and for each member who belonged to it on the due date (which
forms, local ones included: ``app.collection.services.expected_in_wave`` and
docs/forms.md, "Waves and what they expect").
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.core.db import db
from app.families.models import MEMBER_ROLES, Family, Member, Wave, cpr_lookup_hash
from app.tenancy.models import Municipality
from app.tenancy.settings_spec import tables as settings_tables

F = TypeVar("F", bound=Callable[..., Any])


class FamilyError(ValueError):
    """A change to a family record that cannot be made; the message says why.

    Messages are translatable, since pages show them to the user as they are.
    """


class StaleFamily(FamilyError):
    """Someone else changed the family since the form was opened."""


def add_months(day: date, months: int) -> date:
    """Calendar months later, on the same day or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _follow_up(municipality: Municipality) -> dict[str, int]:
    return settings_tables(municipality.settings)["follow_up"]


def _place(wave: Wave, enrolment: date, window_days: int) -> None:
    if wave.kind == "intake":
        wave.due_date = enrolment
        wave.window_start = enrolment
        wave.window_end = enrolment + timedelta(days=window_days)
    elif wave.kind == "follow_up":
        wave.due_date = add_months(enrolment, wave.month or 0)
        wave.window_start = wave.due_date - timedelta(days=window_days)
        wave.window_end = wave.due_date + timedelta(days=window_days)


#: What the features above the family set up for every family enrolled, in order, once its
#: waves exist and before the enrolment is audited (app.plans: the joint plan). A feature
#: adds its step with :func:`on_enrolment` where the step is defined.
ENROLMENT_STEPS: list[Callable[[Municipality, Family], object]] = []


def on_enrolment(step: F) -> F:
    """Run *step* (municipality, family) for every family enrolled; a decorator."""
    ENROLMENT_STEPS.append(step)
    return step


#: What the features above the family redo when who belonged to it on which date changed
#: (a member added or ended, the enrolment date moved), after the change is flushed
#: (app.collection: the waves' completion, which asks about the members of each due date).
MEMBERS_CHANGED: list[Callable[[Family], object]] = []


def on_members_changed(step: F) -> F:
    """Run *step* (family) whenever a family's members or dates change; a decorator."""
    MEMBERS_CHANGED.append(step)
    return step


def _members_changed(family: Family) -> None:
    for step in MEMBERS_CHANGED:
        step(family)


def members_changed(family: Family) -> None:
    """Run the :data:`MEMBERS_CHANGED` steps once, after several members were added with
    ``then_refresh=False`` (an import adds a whole family at once)."""
    _members_changed(family)


def enrol_family(
    municipality: Municipality,
    label: str,
    enrolment_date: date,
    *,
    external_ref: str | None = None,
) -> Family:
    """A new family with its waves; *external_ref* names it in the system it came from (an
    import), unique in the municipality."""
    label = label.strip()
    if not label:
        raise FamilyError(_l("Write a name staff can recognise."))
    family = Family(
        municipality_id=municipality.id,
        label=label,
        enrolment_date=enrolment_date,
        team_model=municipality.team_model,
        external_ref=external_ref,
    )
    db.session.add(family)
    db.session.flush()
    schedule = _follow_up(municipality)
    waves = [Wave(key="intake", kind="intake", month=0)]
    waves += [
        Wave(
            key=f"follow_up_{k * schedule['interval_months']}",
            kind="follow_up",
            month=k * schedule["interval_months"],
        )
        for k in range(1, schedule["count"] + 1)
    ]
    for wave in waves:
        wave.family_id = family.id
        wave.municipality_id = municipality.id
        _place(wave, enrolment_date, schedule["window_days"])
        db.session.add(wave)
    db.session.flush()
    for step in ENROLMENT_STEPS:
        step(municipality, family)
    record(
        "family.enrolled",
        municipality_id=municipality.id,
        object_type="family",
        object_id=family.id,
        details={"enrolment_date": enrolment_date.isoformat(), "team_model": family.team_model},
    )
    return family


def correct_enrolment_date(
    municipality: Municipality, family: Family, new_date: date, seen_lock_version: int
) -> None:
    """Move the enrolment date and every due date with it (waves keep their identity)."""
    if family.lock_version != seen_lock_version:
        raise StaleFamily(
            _l("Someone else changed the family meanwhile. Check the dates and try again.")
        )
    old = family.enrolment_date
    if old == new_date:
        return
    for member in family.members:
        if member.end_date is not None and member.end_date < new_date:
            raise FamilyError(_l("A person left the family before the corrected enrolment date."))
    family.enrolment_date = new_date
    window = _follow_up(municipality)["window_days"]
    for wave in family.waves:
        _place(wave, new_date, window)
    for member in family.members:
        # Members who joined at enrolment move with it; nobody joins before enrolment.
        if member.start_date == old or member.start_date < new_date:
            member.start_date = new_date
    db.session.flush()
    _members_changed(family)
    record(
        "family.enrolment_corrected",
        municipality_id=municipality.id,
        object_type="family",
        object_id=family.id,
        details={"old": old.isoformat(), "new": new_date.isoformat()},
    )


def add_member(
    family: Family,
    role: str,
    name: str,
    start_date: date,
    cpr: str | None = None,
    *,
    then_refresh: bool = True,
) -> Member:
    """Add a person to *family*. With *then_refresh* False the steps that follow a change
    of members wait for :func:`members_changed`, which the caller must then run."""
    if role not in MEMBER_ROLES:
        raise FamilyError(_l("Choose adult or child."))
    if not name.strip():
        raise FamilyError(_l("Write the name."))
    if start_date < family.enrolment_date:
        start_date = family.enrolment_date
    member = Member(
        municipality_id=family.municipality_id,
        family_id=family.id,
        role=role,
        name=name.strip(),
        cpr=normalise_cpr(cpr),
        start_date=start_date,
    )
    db.session.add(member)
    db.session.flush()
    db.session.expire(family, ["members"])
    if then_refresh:
        _members_changed(family)
    # Never the name or CPR: the audit trail says what happened, not who the person is.
    record(
        "member.added",
        municipality_id=family.municipality_id,
        object_type="member",
        object_id=member.id,
        details={"family_id": family.id, "role": role, "start_date": start_date.isoformat()},
    )
    return member


def end_member(member: Member, end_date: date) -> None:
    if end_date < member.start_date:
        raise FamilyError(_l("The end date cannot be before the person joined."))
    member.end_date = end_date
    db.session.flush()
    _members_changed(member.family)
    record(
        "member.ended",
        municipality_id=member.municipality_id,
        object_type="member",
        object_id=member.id,
        details={"family_id": member.family_id, "end_date": end_date.isoformat()},
    )


def normalise_cpr(cpr: str | None) -> str | None:
    """DDMMYY-SSSS. Ten digits are all we check: valid numbers without modulus 11 exist."""
    if cpr is None or not cpr.strip():
        return None
    # ASCII digits only: str.isdigit() also takes "²" and "١", which no CPR number has.
    digits = "".join(ch for ch in cpr if "0" <= ch <= "9")
    if len(digits) != 10 or len(cpr.strip()) > 11:
        raise FamilyError(_l("Write the CPR number as DDMMYY-SSSS."))
    return f"{digits[:6]}-{digits[6:]}"


@dataclass(frozen=True)
class Expected:
    """A form the wave expects, for the family (member None) or one member."""

    form_id: str
    member: Member | None


def expected_forms(wave: Wave, form_ids: list[tuple[str, str]]) -> list[Expected]:
    """Which (form, subject) pairs a wave asks for, given (form id, level) pairs."""
    family = wave.family
    result: list[Expected] = []
    for form_id, level in form_ids:
        if level == "family":
            result.append(Expected(form_id, None))
        else:
            for member in family.active_members(wave.due_date, level):
                result.append(Expected(form_id, member))
    return result


def record_reading(family: Family, *, via: str, actor_id: int | None = None) -> None:
    """Audit a reading of a family's page (or its API resource)."""
    record(
        "family.viewed",
        actor_id=actor_id,
        municipality_id=family.municipality_id,
        object_type="family",
        object_id=family.id,
        details={"via": via},
    )


def hash_cpr_numbers(municipality: Municipality, *, only_missing: bool) -> int:
    """Write the keyed hash of every CPR number of *municipality* (with *only_missing*,
    only those that have none: a database migrated without the key); the number written.

    Normally there is nothing to do: the hash is written with the number. After
    ``FIELD_ENCRYPTION_KEY`` changed, every hash must be written again
    (``flask privacy rehash-cpr``), or a search for a CPR number finds no one.
    """
    conditions = [Member.municipality_id == municipality.id, Member.cpr.is_not(None)]
    if only_missing:
        conditions.append(Member.cpr_hash.is_(None))
    members = db.session.scalars(select(Member).where(*conditions)).all()
    for member in members:
        member.cpr_hash = cpr_lookup_hash(member.cpr)
    if members:
        db.session.flush()
    return len(members)


def restore_follow_ups(municipality: Municipality, family: Family) -> list[Wave]:
    """Make the follow-ups the municipality's schedule gives the family and it lacks (those
    an exit dropped), with due dates from enrolment as :func:`enrol_family` makes them."""
    schedule = _follow_up(municipality)
    have = {w.key for w in family.waves}
    made = []
    for k in range(1, schedule["count"] + 1):
        month = k * schedule["interval_months"]
        key = f"follow_up_{month}"
        if key in have:
            continue
        wave = Wave(
            municipality_id=family.municipality_id,
            family_id=family.id,
            key=key,
            kind="follow_up",
            month=month,
        )
        _place(wave, family.enrolment_date, schedule["window_days"])
        db.session.add(wave)
        made.append(wave)
    db.session.flush()
    db.session.expire(family, ["waves"])
    return made
