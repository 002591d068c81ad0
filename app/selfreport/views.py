"""The caseworker's side (make a link, hand the screen over) and the person's own page.

The person's page needs no sign-in: its address names the municipality and carries the
link's secret. It shows the questions and nothing about the family, works without
JavaScript and on a phone, and after the answers are sent, the link works no more.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app.collection.services import Conflict, Invalid
from app.core import crypto, dates
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.definitions.compile import build_form_class
from app.definitions.instruments import instrument
from app.families.access import member_or_404, wave_or_404
from app.selfreport.models import SelfReportLink
from app.selfreport.services import (
    LinkUnusable,
    NotOffered,
    answer,
    check_items,
    find_link,
    make_link,
    version_for,
)
from app.tenancy.models import Municipality
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404
from app.tenancy.scoping import set_request_scope

bp = TenantBlueprint("selfreport", __name__)
public = Blueprint("selfreport_public", __name__, url_prefix="/svar")

#: Where the secrets of the links this browser made wait to be shown (sealed with the
#: field key: the session cookie is signed, not encrypted).
_SECRETS = "_self_report_links"


class OfferForm(OneTimeForm):
    """Makes a link for the person (button ``link``) or hands the screen over (``kiosk``)."""

    instrument = HiddenField()


def form_fill_url(wave_id: int, member_id: int, form_id: str) -> str:
    return url_for("collection.fill_member", wave_id=wave_id, member_id=member_id, form_id=form_id)


@bp.route(
    "/waves/<int:wave_id>/members/<int:member_id>/forms/<form_id>/self-report", methods=["POST"]
)
def offer(wave_id: int, member_id: int, form_id: str) -> Response:
    wave = wave_or_404(wave_id)
    member = member_or_404(wave.family, member_id)
    form = OfferForm()
    if not form.validate_on_submit():
        abort(400)
    back = form_fill_url(wave.id, member.id, form_id)
    kiosk = "kiosk" in request.form
    if not kiosk and (repeat := repeat_of(form, back)) is not None:
        return repeat
    try:
        link, secret = make_link(
            current_municipality(),
            wave,
            member,
            form_id,
            form.instrument.data or "",
            actor_id=current_user.id,
            kiosk=kiosk,
        )
    except (NotOffered, KeyError):
        # Answered meanwhile (another tab), or a form that asks no such questions.
        db.session.rollback()
        flash(_("These questions cannot be answered by the person themselves here."), "info")
        return redirect(back)
    slug = current_municipality().slug
    if kiosk:
        db.session.commit()
        # The screen is handed over: nothing of the caseworker's session may stay in it,
        # so the person sees only the questions and the caseworker signs in again after.
        language = session.get("language")
        logout_user()
        session.clear()
        if language:
            session["language"] = language
        return redirect(url_for("selfreport_public.answer_page", slug=slug, secret=secret))
    target = lands_on(url_for("selfreport.link", link_id=link.id))
    db.session.commit()
    sealed = dict(session.get(_SECRETS) or {})
    sealed[str(link.id)] = crypto.encrypt(secret)
    # Only the newest few: a caseworker who makes many links in one session needs none of
    # the older ones shown again.
    session[_SECRETS] = dict(list(sealed.items())[-5:])
    return redirect(target)


@bp.route("/self-report/links/<int:link_id>")
def link(link_id: int) -> str:
    row = get_or_404(SelfReportLink, link_id)
    wave = wave_or_404(row.wave_id)
    member = member_or_404(wave.family, row.member_id)
    address = None
    sealed = (session.get(_SECRETS) or {}).get(str(row.id))
    if sealed and row.used_at is None and row.revoked_at is None:
        try:
            secret = crypto.decrypt(sealed)
        except Exception:  # sealed with another key: the link is not shown again
            secret = None
        if secret is not None:
            address = url_for(
                "selfreport_public.answer_page",
                slug=current_municipality().slug,
                secret=secret,
                _external=True,
            )
    chosen = instrument(row.instrument)
    return render_template(
        "selfreport/link.html",
        link=row,
        wave=wave,
        family=wave.family,
        member=member,
        address=address,
        title=chosen.title[current_language()],
        municipality_name=current_municipality().name(current_language()),
        back=form_fill_url(wave.id, member.id, row.form_id),
    )


# -- the person's own page ------------------------------------------------------------------


@public.context_processor
def _footer_slug() -> dict[str, Any]:
    # The accessibility statement's link names the municipality the parent came from.
    municipality = g.get("self_report_municipality")
    return {"self_report_slug": municipality.slug if municipality is not None else None}


@public.before_request
def _municipality() -> None:
    # After the application's own hooks, which set the scope of a request outside any
    # municipality; the address names the one whose link this is.
    slug = (request.view_args or {}).get("slug")
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug)) if slug else None
    g.self_report_municipality = municipality
    # The link's rows are the municipality's: read in its scope, by nobody signed in.
    set_request_scope(municipality, None)


def _unusable(reason: str) -> tuple[str, int]:
    """A clear page for a link that cannot be used: 404 if it never existed, else 410."""
    status = 404 if reason == "unknown" else 410
    return render_template("selfreport/unusable.html", reason=reason), status


@public.route("/<slug>/<secret>", methods=["GET", "POST"])
def answer_page(slug: str, secret: str) -> str | tuple[str, int] | Response:
    municipality: Municipality | None = g.self_report_municipality
    if municipality is None:
        return _unusable("unknown")
    try:
        row = find_link(secret)
    except LinkUnusable as exc:
        return _unusable(exc.reason)
    chosen = instrument(row.instrument)
    language = current_language()
    today = dates.today()
    version = version_for(municipality, row.wave, row.member, row.form_id)
    definition = version.form
    form_class = build_form_class(definition, language, today)
    form: FlaskForm = form_class() if request.method == "POST" else form_class(formdata=None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if "csrf_token" in form._fields and not form.csrf_token.validate(form):
            abort(400)
        answers, errors = check_items(
            version, chosen, {name: form[name].data for name in chosen.items}, today
        )
        for name, message in errors.items():
            form[name].errors = [_("Choose an answer.") if message == "missing" else message]
        if not errors:
            try:
                answer(municipality, row, answers, today)
                db.session.commit()
            except LinkUnusable as exc:
                db.session.rollback()
                return _unusable(exc.reason)
            except (Conflict, Invalid, IntegrityError, StaleDataError):
                # A caseworker saved the same form at this moment: nothing was written.
                db.session.rollback()
                errors["_form"] = _(
                    "Your answers could not be saved just now. Please send them again."
                )
            else:
                return redirect(url_for(".done", slug=slug, kiosk=int(row.kiosk)))
    status = 422 if errors else 200
    return render_template(
        "selfreport/answer.html",
        form=form,
        definition=definition,
        fields=[definition.field(name) for name in chosen.items],
        title=chosen.title[language],
        intro=chosen.intro[language],
        municipality_name=municipality.name(language),
        language=language,
        form_error=errors.get("_form"),
    ), status


@public.route("/<slug>/tak")
def done(slug: str) -> str | tuple[str, int]:
    municipality: Municipality | None = g.self_report_municipality
    if municipality is None:
        return _unusable("unknown")
    return render_template(
        "selfreport/done.html",
        municipality_name=municipality.name(current_language()),
        kiosk=request.args.get("kiosk") == "1",
    )
