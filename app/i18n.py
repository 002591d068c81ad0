"""Interface language: Danish by default, English on request, remembered per user."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import Babel
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf

from app.auth.views import safe_next
from app.core.db import db
from app.core.language import current_language

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if request.path.startswith("/api/"):
        # Programs say what they want in Accept-Language; the default stays Danish.
        return (
            request.accept_languages.best_match(languages)
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class LanguageForm(FlaskForm):
    language = StringField(validators=[AnyOf(("da", "en"))])
    next = HiddenField()


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        language = form.language.data
        session["language"] = language
        if current_user.is_authenticated and current_user.language != language:
            current_user.language = language
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("auth.start"))


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_language,
        default_translation_directories=str(Path(__file__).resolve().parent / "translations"),
    )
    app.register_blueprint(bp)

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {
            "current_language": current_language,
        }
