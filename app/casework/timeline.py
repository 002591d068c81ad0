"""What happened to a family, read from the audit trail, as sentences for its page.

The trail has no family column: an event belongs to the family through what it is about
(the family itself, one of its members, one of its submissions, its joint plan). Only the
actions named here are shown, each with its own sentence; readings of the family
(``family.viewed``) and drafts are not events of the case. The query names the
municipality of the request, so an event of another municipality is never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.casework.reopen import REOPEN_REASON_LABELS
from app.collection.models import Submission
from app.core.db import db
from app.core.formatting import format_day
from app.core.language import current_language
from app.families.labels import MEMBER_ROLE_LABELS, MISSED_REASON_LABELS, wave_key_label
from app.families.models import Family, Member
from app.plans.models import Plan
from app.plans.views import GOAL_STATUS_LABELS, LIFE_AREA_LABELS
from app.teams.labels import ASSIGNMENT_KIND_LABELS

#: How many events the page shows at first, and how many more each "show more" adds.
PAGE = 20
#: The most one page shows, however the address is written.
MOST = 1000


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    occurred_at: datetime
    sentence: str


@dataclass
class _Context:
    """What the sentences need besides the event: names and titles, loaded once."""

    users: dict[int, str]
    members: dict[int, Member]
    submissions: dict[int, Submission]

    def who(self, event: AuditEvent) -> str:
        if event.actor_id is None:
            return _("The system")
        return self.users.get(event.actor_id) or _("A former user")

    def person(self, user_id: Any) -> str:
        name = self.users.get(user_id) if isinstance(user_id, int) else None
        return name or _("someone")

    def member(self, event: AuditEvent) -> str:
        member = self.members.get(int(event.object_id or 0))
        if member is None or member.erased_at is not None:
            return _("a person")
        return member.name


def _day(value: Any) -> str:
    try:
        return format_day(datetime.fromisoformat(str(value)).date())
    except ValueError:
        return ""


def _enrolled(e: AuditEvent, c: _Context) -> str:
    return _("%(who)s enrolled the family.", who=c.who(e))


def _corrected(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s corrected the enrolment date from %(old)s to %(new)s.",
        who=c.who(e),
        old=_day(e.details.get("old")),
        new=_day(e.details.get("new")),
    )


def _exit_started(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s started the exit; the exit form is due %(due)s.",
        who=c.who(e),
        due=_day(e.details.get("exit_due")),
    )


def _reopened(e: AuditEvent, c: _Context) -> str:
    reason = REOPEN_REASON_LABELS.get(e.details.get("reason", ""), "")
    return _(
        "%(who)s reopened the family after its exit (%(reason)s).", who=c.who(e), reason=reason
    )


def _missed(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s recorded that %(wave)s cannot be collected: %(reason)s.",
        who=c.who(e),
        wave=wave_key_label(str(e.details.get("wave", ""))),
        reason=MISSED_REASON_LABELS.get(e.details.get("reason", ""), ""),
    )


def _missed_undone(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s took back that %(wave)s cannot be collected; it is expected again.",
        who=c.who(e),
        wave=wave_key_label(str(e.details.get("wave", ""))),
    )


def _assigned(e: AuditEvent, c: _Context) -> str:
    kind = ASSIGNMENT_KIND_LABELS.get(e.details.get("kind", ""), _("team member"))
    person = c.person(e.details.get("user_id"))
    if e.details.get("contact_person"):
        return _(
            "%(who)s put %(person)s on the team as %(kind)s and the family's contact person.",
            who=c.who(e),
            person=person,
            kind=kind,
        )
    return _(
        "%(who)s put %(person)s on the team as %(kind)s.", who=c.who(e), person=person, kind=kind
    )


def _team_ended(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s took %(person)s off the team.",
        who=c.who(e),
        person=c.person(e.details.get("user_id")),
    )


def _member_added(e: AuditEvent, c: _Context) -> str:
    role = MEMBER_ROLE_LABELS.get(e.details.get("role", ""), "")
    return _(
        "%(who)s added %(name)s (%(role)s) to the family.",
        who=c.who(e),
        name=c.member(e),
        role=role,
    )


def _member_ended(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s recorded that %(name)s left the family's course on %(day)s.",
        who=c.who(e),
        name=c.member(e),
        day=_day(e.details.get("end_date")),
    )


def _submitted(e: AuditEvent, c: _Context) -> str:
    submission = c.submissions.get(int(e.object_id or 0))
    if submission is None:
        return _("%(who)s submitted a form.", who=c.who(e))
    title = submission.form_version.form.title.get(current_language(), "")
    wave = wave_key_label(str(e.details.get("wave") or submission.wave.key))
    if submission.member is not None and submission.member.erased_at is None:
        return _(
            "%(who)s submitted “%(form)s” for %(name)s (%(wave)s).",
            who=c.who(e),
            form=title,
            name=submission.member.name,
            wave=wave,
        )
    return _("%(who)s submitted “%(form)s” (%(wave)s).", who=c.who(e), form=title, wave=wave)


def _goal_added(e: AuditEvent, c: _Context) -> str:
    area = LIFE_AREA_LABELS.get(e.details.get("life_area", ""), "")
    return _(
        "%(who)s added a goal for %(area)s to the joint plan (phase %(phase)s).",
        who=c.who(e),
        area=area,
        phase=e.details.get("phase", 1),
    )


def _goal_status(e: AuditEvent, c: _Context) -> str:
    return _(
        "%(who)s recorded a goal as %(status)s (%(wave)s).",
        who=c.who(e),
        status=GOAL_STATUS_LABELS.get(e.details.get("new", ""), ""),
        wave=wave_key_label(str(e.details.get("wave", ""))),
    )


def _plan_changed(e: AuditEvent, c: _Context) -> str:
    return _("%(who)s changed the joint plan.", who=c.who(e))


Sentence = Callable[[AuditEvent, _Context], str]

#: The family's own events, by action.
FAMILY_EVENTS: dict[str, Sentence] = {
    "family.enrolled": _enrolled,
    "family.enrolment_corrected": _corrected,
    "family.exit_started": _exit_started,
    "family.reopened": _reopened,
    "team.assigned": _assigned,
    "team.ended": _team_ended,
}
MEMBER_EVENTS: dict[str, Sentence] = {"member.added": _member_added, "member.ended": _member_ended}
SUBMISSION_EVENTS: dict[str, Sentence] = {"submission.submitted": _submitted}
WAVE_EVENTS: dict[str, Sentence] = {
    "wave.missed_recorded": _missed,
    "wave.missed_undone": _missed_undone,
}
#: The plan's events; any other ``plan.*`` action reads as "changed the joint plan".
PLAN_EVENTS: dict[str, Sentence] = {
    "plan.goal_added": _goal_added,
    "plan.goal_status": _goal_status,
}


def timeline(family: Family, limit: int = PAGE) -> tuple[list[Entry], bool]:
    """The family's newest *limit* events as sentences, newest first, and whether there
    are older ones."""
    limit = max(1, min(limit, MOST))
    member_ids = [str(m.id) for m in family.members]
    submission_ids = [
        str(i)
        for i in db.session.scalars(select(Submission.id).where(Submission.family_id == family.id))
    ]
    plan_id = db.session.scalar(select(Plan.id).where(Plan.family_id == family.id))
    about = [
        and_(
            AuditEvent.object_type == "family",
            AuditEvent.object_id == str(family.id),
            AuditEvent.action.in_(FAMILY_EVENTS),
        ),
        and_(
            AuditEvent.object_type == "member",
            AuditEvent.object_id.in_(member_ids),
            AuditEvent.action.in_(MEMBER_EVENTS),
        ),
        and_(
            AuditEvent.object_type == "submission",
            AuditEvent.object_id.in_(submission_ids),
            AuditEvent.action.in_(SUBMISSION_EVENTS),
        ),
        and_(
            AuditEvent.object_type == "wave",
            AuditEvent.object_id.in_([str(w.id) for w in family.waves]),
            AuditEvent.action.in_(WAVE_EVENTS),
        ),
    ]
    if plan_id is not None:
        about.append(
            and_(
                AuditEvent.object_type == "plan",
                AuditEvent.object_id == str(plan_id),
                AuditEvent.action.like("plan.%"),
            )
        )
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.municipality_id == family.municipality_id, or_(*about))
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit + 1)
        )
    )
    more = len(events) > limit
    events = events[:limit]
    context = _context(family, events)
    sentences = {
        **FAMILY_EVENTS,
        **MEMBER_EVENTS,
        **SUBMISSION_EVENTS,
        **WAVE_EVENTS,
        **PLAN_EVENTS,
    }
    entries = [
        Entry(e.occurred_at, sentences.get(e.action, _plan_changed)(e, context)) for e in events
    ]
    return entries, more


def _context(family: Family, events: list[AuditEvent]) -> _Context:
    user_ids = {e.actor_id for e in events if e.actor_id is not None}
    user_ids |= {e.details["user_id"] for e in events if isinstance(e.details.get("user_id"), int)}
    users = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    wanted = [int(e.object_id) for e in events if e.object_type == "submission" and e.object_id]
    submissions = (
        {s.id: s for s in db.session.scalars(select(Submission).where(Submission.id.in_(wanted)))}
        if wanted
        else {}
    )
    return _Context(users=users, members={m.id: m for m in family.members}, submissions=submissions)
