"""Resolving the municipality once per request from the ``/<slug>/`` URL prefix.

Order for every tenant route, as in the house style: load the municipality and the user's
membership, refuse (404) if there is none, set the scope that every query below obeys,
then the view runs. Views never filter by municipality themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, g, request, session
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.db import MAX_ID, db
from app.tenancy.models import Membership, Municipality
from app.tenancy.scoping import set_request_scope

#: Blueprints whose routes live under /<slug>/ and are resolved here.
TENANT_PREFIX = "/<slug>"


class TenantBlueprint(Blueprint):
    """A blueprint of per-municipality pages: the tenant is resolved before any of its views."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_value_preprocessor(_pop_slug)
        self.url_defaults(_add_slug)
        self.before_request(_resolve_municipality)


def register_tenant_blueprint(app: Flask, blueprint: TenantBlueprint) -> None:
    """Mount *blueprint* under ``/<slug>``."""
    if not isinstance(blueprint, TenantBlueprint):
        raise TypeError(f"{blueprint.name} must be a TenantBlueprint to live under /<slug>/")
    app.register_blueprint(blueprint, url_prefix=TENANT_PREFIX + (blueprint.url_prefix or ""))


def _pop_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.municipality_slug = values.pop("slug", None) if values else None


def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    municipality = g.get("municipality")
    if "slug" not in values and municipality is not None:
        values["slug"] = municipality.slug


@login_required
def _resolve_municipality() -> None:
    # login_required runs first: an anonymous visitor is sent to the login page without
    # learning whether the slug exists.
    slug = g.get("municipality_slug")
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug)) if slug else None
    if municipality is None:
        abort(404)
    set_request_scope(municipality, current_user.id)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.municipality_id == municipality.id,
            Membership.user_id == current_user.id,
        )
    )
    if membership is None:
        # Not "forbidden": a non-member must not learn that the municipality has data here.
        abort(404)
    g.municipality = municipality
    g.membership = membership
    if request.method == "GET":
        # Remembered so that "/" takes the user back to where they last worked.

        session["last_municipality"] = municipality.slug


def current_municipality() -> Municipality:
    return g.municipality


ModelT = TypeVar("ModelT")


def get_or_404(model: type[ModelT], object_id: int) -> ModelT:
    """Load one row of the current municipality by id; another municipality's id is 404.

    A ``select`` (not ``Session.get``) so the tenant criteria always apply, even when a
    row of the same id sits in the identity map.
    """
    if not 0 < object_id <= MAX_ID:
        abort(404)  # beyond any id the database can hold
    statement = select(model).where(model.id == object_id)  # type: ignore[attr-defined]
    obj = db.session.scalar(statement.execution_options(populate_existing=True))
    if obj is None:
        abort(404)
    return obj
