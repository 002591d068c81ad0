"""The offer on an adult's form page: let the person answer the self-report questions.

The form page belongs to ``collection``, below this package; it asks for the offer
through the template global registered here, so it imports nothing of it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for

from app.collection.models import FormVersion, Submission
from app.core.forms import new_once_token
from app.definitions.instruments import instrument, instruments_of
from app.families.models import Member, Wave
from app.selfreport.services import answered_at, live_link, offered


def self_report_offer(
    version: FormVersion, submission: Submission | None, wave: Wave, member: Member | None
) -> dict[str, Any] | None:
    """What the form page shows about self-report: the instruments still to offer (with
    any link that works for them), and those the person answered; None if nothing."""
    if member is None:
        return None
    done = set(submission.self_reported or []) if submission else set()
    answered = [i.title for i in instruments_of(version.form) if done and set(i.items) <= done]
    offers = [
        {
            "instrument": chosen,
            "live": live_link(wave, member, chosen.id),
            "action": url_for(
                "selfreport.offer", wave_id=wave.id, member_id=member.id, form_id=version.form_id
            ),
            "once_token": new_once_token(),
        }
        for chosen in offered(version, submission)
    ]
    if not offers and not answered:
        return None
    return {
        "offers": offers,
        "answered": answered,
        "answered_at": answered_at(wave, member) if answered else None,
    }


def init_app(app: Flask) -> None:
    app.add_template_global(self_report_offer)
    app.add_template_global(instrument, "self_report_instrument")
