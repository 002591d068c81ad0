"""The daily digest: per caseworker and municipality, how many forms are due and overdue.

A caseworker is every active user with a membership who has active assignments on active
families. A form counts where its wave is due (window open) or overdue (window closed,
forms missing, no reason recorded: :meth:`Wave.status_is`), as the forms the wave expects
(:func:`expected_in_wave`) minus those submitted. The mail holds only those counts, the
municipality's name and a link to the work list: never a name, a family's label or a CPR
number. Nobody with nothing due or overdue gets one, nor anyone who opted out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.casework.missing import missing_forms
from app.core import mail
from app.core.db import db, utcnow
from app.families.models import Assignment, Family, Wave
from app.notifications.models import DigestRun
from app.tenancy.models import Membership, Municipality
from app.tenancy.scoping import tenant_scope


@dataclass(frozen=True)
class Counts:
    municipality: Municipality
    due: int
    overdue: int


def counts_by_user(today: date) -> dict[int, list[Counts]]:
    """Every caseworker's counts on *today*, per municipality they have work in."""
    result: dict[int, list[Counts]] = defaultdict(list)
    for municipality in db.session.scalars(select(Municipality).order_by(Municipality.id)):
        with tenant_scope(municipality):
            members = set(db.session.scalars(select(Membership.user_id)))
            rows = db.session.execute(
                select(Assignment.user_id, Wave)
                .join(Family, Family.id == Assignment.family_id)
                .join(Wave, Wave.family_id == Family.id)
                .where(
                    Assignment.active,
                    Family.status == "active",
                    or_(Wave.status_is("due", today), Wave.status_is("overdue", today)),
                )
                .order_by(Assignment.user_id, Wave.id)
            ).all()
            # What each wave still misses, as the work lists count it (one definition).
            waves = {wave.id: wave for _, wave in rows}
            missing = {
                wave_id: len(forms)
                for wave_id, forms in missing_forms(
                    municipality, [(w, w.family) for w in waves.values()]
                ).items()
            }
            per_user: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            for user_id, wave in rows:
                if user_id not in members:
                    continue
                per_user[user_id][0 if wave.status(today) == "due" else 1] += missing[wave.id]
            for user_id, (due, overdue) in per_user.items():
                if due or overdue:
                    result[user_id].append(Counts(municipality, due, overdue))
    return result


def work_list_url(municipality: Municipality) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/{municipality.slug}/work/mine"


def compose(user: User, counts: list[Counts]) -> tuple[str, str]:
    """The mail to *user*: counts, municipality names and links only."""
    language = user.language or "da"
    with force_locale(language):
        subject = _("Helhed: forms due and overdue")
        parts = [_("Forms waiting for the families you work with:")]
        for entry in counts:
            parts.append(
                "\n"
                + entry.municipality.name(language)
                + "\n"
                + _("Due now: %(n)d", n=entry.due)
                + "\n"
                + _("Overdue: %(n)d", n=entry.overdue)
                + "\n"
                + _("Your work list: %(link)s", link=work_list_url(entry.municipality))
            )
        parts.append(
            "\n"
            + _(
                "You receive this mail each morning while forms are waiting. "
                "You can turn it off on your account page."
            )
        )
    return subject, "\n".join(parts)


def claim(day: date) -> DigestRun | None:
    """Record that *day*'s digest is being sent; None if another process already has."""
    run = DigestRun(day=day)
    try:
        with db.session.begin_nested():
            db.session.add(run)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def send_digest(today: date) -> int:
    """Send *today*'s digest now; the number of mails sent."""
    counts = counts_by_user(today)
    users = db.session.scalars(
        select(User).where(User.id.in_(counts), User.active, ~User.digest_opt_out).order_by(User.id)
    ).all()
    letters = [(user.email, *compose(user, counts[user.id])) for user in users]
    db.session.rollback()  # the reads are done; the mails take their time
    for to, subject, body in letters:
        mail.send(to, subject, body)
    return len(letters)


def run_daily(today: date) -> int | None:
    """Send *today*'s digest unless it went already; the mails sent, or None."""
    run = claim(today)
    if run is None:
        return None
    sent = send_digest(today)
    run = db.session.get(DigestRun, today)
    if run is not None:
        run.mails = sent
        run.finished_at = utcnow()
        db.session.commit()
    return sent
