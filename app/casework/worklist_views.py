"""The work lists' pages, and recording why a wave cannot be collected."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.auth.permissions import permission_required, require
from app.casework import worklists
from app.casework.missed import MissedError, may_record_missed, record_missed, undo_missed
from app.casework.missing import MissingForm, missing_forms
from app.casework.worklist_forms import MissedForm, UndoMissedForm
from app.casework.worklist_labels import labels
from app.core import dates
from app.core.db import db
from app.families.access import wave_or_404
from app.tenancy.models import TEAM_MODELS
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("worklists", __name__)


@bp.route("/work/")
@permission_required("families.records")
def overview() -> str:
    return render_template(
        "worklists/overview.html", counts=worklists.counts(dates.today()), **labels()
    )


@bp.route("/work/<name>")
@permission_required("families.records")
def page(name: str) -> str:
    if name not in worklists.LISTS:
        abort(404)
    if not worklists.available(name):
        abort(403)
    today = dates.today()
    query = worklists.Query.from_args(request.args)
    found = worklists.page(name, query, today)
    if query.page > found.pages:
        abort(404)
    return render_template(
        "worklists/page.html",
        found=found,
        query=query,
        # The other lists by name only: their counts are the overview's and the home page's.
        counts={n: None for n in worklists.LISTS if worklists.available(n)},
        **_row_details(name, found.rows),
        caseworker_choices=worklists.caseworker_choices(),
        wave_keys=worklists.wave_keys(current_municipality(), query.wave),
        team_models=TEAM_MODELS,
        statuses=worklists.OPEN_STATUSES,
        today=today,
        **labels(),
    )


def _row_details(name: str, rows: list[Any]) -> dict[str, Any]:
    """What the page's rows need beyond themselves: missing forms and caseworkers."""
    if name == "unassigned":
        return {"missing": {}, "caseworkers": {}}
    pairs = [(row[0], row[1]) if name in worklists.WAVE_LISTS else (row[1], row[2]) for row in rows]
    missing = missing_forms(current_municipality(), pairs) if name in worklists.WAVE_LISTS else {}
    titles: dict[int, str] = {}
    return {
        "missing": {wave_id: titled(forms, titles) for wave_id, forms in missing.items()},
        "caseworkers": worklists.caseworkers([family.id for _, family in pairs]),
    }


def titled(forms: list[MissingForm], titles: dict[int, str] | None = None) -> list[tuple[str, int]]:
    """Missing forms as their titles in the page's language, each with how many are
    missing (one per adult or child): no form ids and no names on a list."""
    language = str(get_locale() or "da")[:2]
    counted: dict[str, int] = {}
    # Parsing a version's form costs a hash: once per version for the whole page.
    titles = {} if titles is None else titles
    for missing in forms:
        version = missing.version
        if version.id not in titles:
            title = version.form.title
            titles[version.id] = title.get(language) or title.get("da") or ""
        text = titles[version.id]
        counted[text] = counted.get(text, 0) + 1
    return list(counted.items())


@bp.route("/waves/<int:wave_id>/missed", methods=["GET", "POST"], endpoint="record_missed")
def record_missed_page(wave_id: int) -> str | Response:
    wave = wave_or_404(wave_id)
    require("waves.record_missed")
    form = MissedForm()
    here = url_for("worklists.record_missed", wave_id=wave.id)
    if form.validate_on_submit():
        if (repeat := repeat_of(form, here)) is not None:
            return repeat
        try:
            record_missed(wave, form.reason.data or "", actor_id=g.membership.user_id)
        except MissedError:
            flash(_("A reason can be recorded only for a wave that is due or overdue."), "error")
            return redirect(here)
        target = lands_on(here)
        db.session.commit()
        flash(_("The reason is recorded. The wave is no longer on the overdue list."), "success")
        return redirect(target)
    missing = titled(missing_forms(current_municipality(), [(wave, wave.family)])[wave.id])
    return render_template(
        "worklists/missed.html",
        wave=wave,
        family=wave.family,
        status=wave.status(dates.today()),
        may_record=may_record_missed(wave),
        missing=missing,
        form=form,
        undo_form=UndoMissedForm(formdata=None),
    )


@bp.route("/waves/<int:wave_id>/missed/undo", methods=["POST"], endpoint="undo_missed")
def undo_missed_page(wave_id: int) -> Response:
    wave = wave_or_404(wave_id)
    require("waves.record_missed")
    form = UndoMissedForm()
    here = url_for("worklists.record_missed", wave_id=wave.id)
    if not form.validate_on_submit():
        flash(_("The page had expired. Try again."), "error")
        return redirect(here)
    try:
        undo_missed(wave, actor_id=g.membership.user_id)
    except MissedError:
        flash(_("No reason is recorded for this wave."), "info")
        return redirect(here)
    db.session.commit()
    flash(_("The reason is taken back. The wave is expected again."), "success")
    return redirect(here)
