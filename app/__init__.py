"""Helhed: integrated programmes for vulnerable families, evaluated across municipalities."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.config import INSTANCE_PATH, RESOURCES, load_config
from app.core.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, then blueprints."""
    app = Flask(
        __name__,
        instance_path=INSTANCE_PATH,
        instance_relative_config=True,
        template_folder=str(RESOURCES / "templates"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path), config))

    # The features are imported when an application is built, not at the top: Python runs
    # this file before any ``app.x`` module, so top-level imports here would load every
    # feature whenever any single module is imported (a migration, one test's helper).
    from app import cli, extensions, i18n
    from app.api import problems as api_problems
    from app.auth import labels as auth_labels
    from app.auth import lifetime as session_lifetime
    from app.auth import permissions, throttle
    from app.collection import labels as collection_labels
    from app.core import limits, logs, security, templating
    from app.core.views import register_error_pages
    from app.definitions import labels as definitions_labels
    from app.families import labels as families_labels

    # The daily digest registers its periodic task with the job queue when imported.
    from app.notifications import schedule  # noqa: F401
    from app.reports import package_table as report_package_table
    from app.reports import targets as report_targets
    from app.selfreport import labels as selfreport_labels
    from app.teams import labels as teams_labels
    from app.tenancy import labels as tenancy_labels
    from app.tenancy import scoping

    logs.init_app(app)
    extensions.init_app(app)
    limits.init_app(app)
    scoping.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    # Each feature registers the labels and helpers its templates use, and the hooks by
    # which a package below it reaches it.
    for feature in (
        tenancy_labels,
        auth_labels,
        definitions_labels,
        families_labels,
        teams_labels,
        collection_labels,
        permissions,
        report_package_table,
        report_targets,
        selfreport_labels,
    ):
        feature.init_app(app)
    register_error_pages(app)
    api_problems.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    security.init_app(app)
    session_lifetime.init_app(app)
    throttle.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    # Imported here for the reason given in create_app.
    from app.accessibility.views import bp as accessibility_bp
    from app.admin.audit_views import bp as audit_bp
    from app.admin.invitation_views import bp as invitations_bp
    from app.admin.municipality_views import bp as tenancy_bp
    from app.admin.views import bp as admin_bp

    # The API's list of waves adds its route to the API's blueprint when imported.
    from app.api import wave_lists  # noqa: F401
    from app.api.pages import bp as tokens_bp
    from app.api.views import bp as api_bp
    from app.api.views import meta as api_meta_bp
    from app.auth.reset_views import bp as password_bp
    from app.auth.views import bp as auth_bp
    from app.casework.grid import bp as grid_bp
    from app.casework.views import bp as families_bp
    from app.casework.worklist_views import bp as worklists_bp
    from app.collection.views import bp as collection_bp
    from app.core.views import bp as core_bp
    from app.extensions import csrf
    from app.formimport.views import bp as localforms_bp
    from app.imports.views import bp as imports_bp
    from app.operator.views import bp as operator_bp
    from app.papers.views import bp as papers_bp
    from app.plans.views import bp as plans_bp
    from app.privacy.views import bp as privacy_bp
    from app.reports.views import platform as study_reports_bp
    from app.reports.views import tenant as reports_bp
    from app.research.views import platform as research_bp
    from app.research.views import tenant as municipal_research_bp
    from app.selfreport.views import bp as selfreport_bp
    from app.selfreport.views import public as selfreport_public_bp
    from app.sso.views import bp as sso_bp
    from app.teams.views import bp as teams_bp
    from app.tenancy.request import register_tenant_blueprint

    app.register_blueprint(core_bp)
    app.register_blueprint(accessibility_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(password_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(operator_bp, url_prefix="/operator")
    app.register_blueprint(research_bp, url_prefix="/research")
    app.register_blueprint(study_reports_bp, url_prefix="/research")
    app.register_blueprint(selfreport_public_bp)
    # Tenant blueprints last: /<slug>/ would otherwise shadow nothing, but reading the
    # list top to bottom shows the platform routes before the per-municipality ones.
    for blueprint in (
        tenancy_bp,
        families_bp,
        grid_bp,
        worklists_bp,
        teams_bp,
        plans_bp,
        collection_bp,
        selfreport_bp,
        papers_bp,
        admin_bp,
        imports_bp,
        localforms_bp,
        audit_bp,
        privacy_bp,
        tokens_bp,
        municipal_research_bp,
        reports_bp,
    ):
        register_tenant_blueprint(app, blueprint)
    # The API authenticates every request with a bearer token, not a session cookie, so
    # cross-site request forgery does not apply to it.
    csrf.exempt(api_bp)
    csrf.exempt(api_meta_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_meta_bp)
