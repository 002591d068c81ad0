"""Self-report links: made by a caseworker, opened and answered once by the person.

The secret travels only in the link; the database keeps its SHA-256. A link is for one
adult, one wave and one instrument, and works until it is used, for LIFETIME, or until the
caseworker makes a new one for the same answers. The answers are saved into the adult's
form of the wave through :func:`app.collection.services.save_submission`, marked as the
person's own, so the form's rules, the typed copy, the wave's completion and the audit
trail are those of any other save; staff cannot change them afterwards.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update

from app.audit.services import record
from app.auth.links import digest
from app.collection.models import FormVersion, Submission
from app.collection.services import answered_version, find_submission, save_submission
from app.core.db import db, utcnow
from app.definitions.fields.parsing import InvalidAnswer
from app.definitions.instruments import Instrument, instrument, instruments_of
from app.families.models import Member, Wave
from app.selfreport.models import SelfReportLink
from app.tenancy.models import Municipality

#: How long a link works if it is not used.
LIFETIME = timedelta(days=14)


class LinkUnusable(ValueError):
    """The link is unknown, used, replaced or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotOffered(ValueError):
    """The form cannot be answered by the person here (already answered, or no such form)."""


def version_for(
    municipality: Municipality, wave: Wave, member: Member, form_id: str
) -> FormVersion:
    """The version the person's answers go into (collection's answered_version)."""
    version = answered_version(municipality, wave, form_id, member)
    if version is None:
        raise NotOffered(form_id)
    return version


def offered(version: FormVersion, submission: Submission | None) -> list[Instrument]:
    """The instruments of *version* the person may still answer themselves."""
    done = set(submission.self_reported or []) if submission else set()
    return [i for i in instruments_of(version.form) if not set(i.items) <= done]


def _open(wave: Wave, member: Member, instrument_id: str) -> list[ColumnElement[bool]]:
    """The links for these answers neither used nor replaced (perhaps expired)."""
    return [
        SelfReportLink.wave_id == wave.id,
        SelfReportLink.member_id == member.id,
        SelfReportLink.instrument == instrument_id,
        SelfReportLink.used_at.is_(None),
        SelfReportLink.revoked_at.is_(None),
    ]


def live_link(wave: Wave, member: Member, instrument_id: str) -> SelfReportLink | None:
    """The link that still works for these answers, if any."""
    return db.session.scalar(
        select(SelfReportLink)
        .where(*_open(wave, member, instrument_id), SelfReportLink.expires_at > utcnow())
        .order_by(SelfReportLink.id.desc())
        .limit(1)
    )


def make_link(
    municipality: Municipality,
    wave: Wave,
    member: Member,
    form_id: str,
    instrument_id: str,
    *,
    actor_id: int | None,
    kiosk: bool,
) -> tuple[SelfReportLink, str]:
    """A new link and its secret; the older links for the same answers stop working."""
    version = version_for(municipality, wave, member, form_id)
    submission = find_submission(wave, form_id, member)
    if instrument_id not in {i.id for i in offered(version, submission)}:
        raise NotOffered(instrument_id)
    now = utcnow()
    db.session.execute(
        update(SelfReportLink).where(*_open(wave, member, instrument_id)).values(revoked_at=now)
    )
    secret = secrets.token_urlsafe(32)
    link = SelfReportLink(
        municipality_id=municipality.id,
        family_id=wave.family_id,
        member_id=member.id,
        wave_id=wave.id,
        form_id=form_id,
        instrument=instrument_id,
        token_hash=digest(secret),
        kiosk=kiosk,
        created_at=now,
        created_by_id=actor_id,
        expires_at=now + LIFETIME,
    )
    db.session.add(link)
    db.session.flush()
    record(
        "selfreport.link_made",
        municipality_id=municipality.id,
        object_type="self_report_link",
        object_id=link.id,
        details={
            "form": form_id,
            "wave": wave.key,
            "instrument": instrument_id,
            "kiosk": kiosk,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return link, secret


def find_link(secret: str) -> SelfReportLink:
    """The link behind *secret* in the current municipality, if it can still be used."""
    link = db.session.scalar(
        select(SelfReportLink).where(SelfReportLink.token_hash == digest(secret[:200]))
    )
    if link is None:
        raise LinkUnusable("unknown")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if link.revoked_at is not None:
        raise LinkUnusable("replaced")
    if link.expires_at <= utcnow() or link.member.end_date is not None:
        raise LinkUnusable("expired")
    return link


def check_items(
    version: FormVersion, chosen: Instrument, raw: dict[str, Any], today: date
) -> tuple[dict[str, Any], dict[str, str]]:
    """The person's answers parsed by their fields' types, and a message per wrong one.

    Every item must be answered: a self-report with gaps is not the scale's score."""
    form = version.form
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in chosen.items:
        fdef = form.field(name)
        assert fdef is not None  # instruments_of() checked the form asks every item
        value = raw.get(name)
        if value in (None, "", []):
            errors[name] = "missing"
            continue
        try:
            answers[name] = fdef.kind.parse(fdef, value, form, today, [])
        except InvalidAnswer as exc:
            errors[name] = str(exc.message)
    return answers, errors


def answer(
    municipality: Municipality, link: SelfReportLink, answers: dict[str, Any], today: date
) -> Submission:
    """Save the person's checked *answers* into their form of the wave and use the link up.

    Raises LinkUnusable("used") if another send used it first (nothing is written then);
    the form's own errors (Invalid), a concurrent save (Conflict) as save_submission does.
    """
    chosen = instrument(link.instrument)
    version = version_for(municipality, link.wave, link.member, link.form_id)
    submission = find_submission(link.wave, link.form_id, link.member)
    if not offered(version, submission):
        raise LinkUnusable("used")
    # Used up by the database first, so two sends at once cannot both save.
    used = db.session.execute(
        update(SelfReportLink)
        .where(SelfReportLink.id == link.id, SelfReportLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkUnusable("used")
    # The stored answers as they are, but not what the form computes from them.
    inputs = {f.name for f in version.form.fields if f.kind.input}
    stored = submission.answers if submission else {}
    raw = {**{k: v for k, v in stored.items() if k in inputs}, **answers}
    saved = save_submission(
        municipality,
        link.wave,
        version,
        link.member,
        raw,
        submit=submission is not None and submission.status == "submitted",
        seen_lock_version=submission.lock_version if submission else None,
        actor_id=None,
        today=today,
        self_reported=chosen.items,
    )
    record(
        "selfreport.answered",
        municipality_id=municipality.id,
        object_type="self_report_link",
        object_id=link.id,
        details={"form": link.form_id, "wave": link.wave.key, "instrument": chosen.id},
    )
    return saved


def answered_at(wave: Wave, member: Member) -> Any:
    """When the person last sent their own answers for this wave, or None."""
    return db.session.scalar(
        select(SelfReportLink.used_at)
        .where(
            SelfReportLink.wave_id == wave.id,
            SelfReportLink.member_id == member.id,
            SelfReportLink.used_at.is_not(None),
        )
        .order_by(SelfReportLink.used_at.desc())
        .limit(1)
    )
