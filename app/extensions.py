"""Extension objects and their set-up, in one place."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from app.auth.services import user_for_session
from app.config import RESOURCES
from app.core import db as database
from app.core.db import db
from app.tenancy.scoping import set_request_scope

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()


def init_app(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(RESOURCES / "migrations"), render_as_batch=True)
    csrf.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = AnonymousUserMixin

    login_manager.login_message = _l("Please log in to see this page.")

    @login_manager.user_loader
    def load_user(session_id: str):  # type: ignore[no-untyped-def]

        return user_for_session(session_id)

    @app.before_request
    def _platform_scope() -> None:
        # Every request starts outside any municipality; tenant routes narrow it later.
        set_request_scope(None, current_user.id if current_user.is_authenticated else None)
