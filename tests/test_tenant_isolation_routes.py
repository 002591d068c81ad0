"""Every registered route, as every kind of user, against another municipality: 404.

The loop reads the URL map, so a new route is covered the day it is added; a route with a
URL parameter this file does not know how to fill fails the test until it is taught.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.tenancy.config_files import RESERVED_SLUGS
from app.tenancy.models import Municipality
from tests.support.routes import (
    ID_PROVIDERS,
    MEMBER_ROLES,
    PLATFORM_ARGS,
    PLATFORM_ROLES,
    form_id,
    tenant_rules,
)


def build_url(app: Flask, rule, slug: str, ids_from: Municipality) -> str:
    values: dict[str, object] = {"slug": slug}
    for argument in rule.arguments - {"slug"}:
        if argument == "form_id":
            values[argument] = form_id(rule)
            continue
        assert argument in ID_PROVIDERS, (
            f"route {rule.rule} has parameter {argument!r}: add an id provider to this test"
        )
        values[argument] = ID_PROVIDERS[argument](ids_from)
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(
            rule.endpoint, values, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        )


SECRET_FAMILY = "Familien vejle"


@pytest.mark.parametrize("role", MEMBER_ROLES + PLATFORM_ROLES)
def test_every_tenant_route_answers_404_for_another_municipality(
    app_ctx, client, auth, world, role
):
    brondby, vejle, users, secret = world
    rules = tenant_rules(app_ctx)
    assert rules, "no tenant routes registered?"
    auth.login(users[role].email)
    checked = 0
    for rule in rules:
        # Another municipality's slug with its own ids, and (where the route takes ids) our
        # own slug with the other municipality's ids.
        urls = [build_url(app_ctx, rule, vejle.slug, vejle)]
        if rule.arguments - {"slug"} - PLATFORM_ARGS:
            urls.append(build_url(app_ctx, rule, brondby.slug, vejle))
        for url in urls:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                body = response.get_data(as_text=True)
                assert response.status_code == 404, f"{role} {method} {url}"
                assert secret.email not in body and secret.name not in body
                assert SECRET_FAMILY not in body and "Voksen 1 Familien vejle" not in body
                checked += 1
    assert checked >= len(rules)


def test_an_unknown_slug_is_404_and_anonymous_visitors_learn_nothing(client, auth, world):
    _, _, users, _ = world
    anonymous_real = client.get("/vejle/")
    anonymous_fake = client.get("/no-such-place/")
    # Same answer whether or not the municipality exists: go and log in.
    assert anonymous_real.status_code == anonymous_fake.status_code == 302
    auth.login(users["admin"].email)
    assert client.get("/no-such-place/").status_code == 404


def test_every_tenant_page_opens_for_its_own_admin(app_ctx, client, auth, world):
    """The same loop with our own slug and ids: every page answers (no 404, no 500)."""
    brondby, _, users, _ = world
    auth.login(users["admin"].email)
    for rule in tenant_rules(app_ctx):
        if "GET" not in rule.methods:
            continue
        url = build_url(app_ctx, rule, brondby.slug, brondby)
        response = client.get(url)
        response.close()  # file downloads hold their file open until closed
        assert response.status_code == 200, url


def test_reserved_slugs_cover_every_platform_route(app_ctx: Flask):
    first_segments = {
        rule.rule.strip("/").split("/")[0]
        for rule in app_ctx.url_map.iter_rules()
        if "slug" not in rule.arguments and rule.rule != "/"
    }
    assert first_segments <= RESERVED_SLUGS, first_segments - RESERVED_SLUGS


def test_users_of_one_municipality_are_not_listed_in_another(client, auth, world):
    _, _, users, secret = world
    auth.login(users["admin"].email)
    page = client.get("/brondby/people").get_data(as_text=True)
    assert users["staff"].email in page
    assert secret.email not in page
    db.session.rollback()
    assert db.session.scalar(select(User).filter_by(email=secret.email)) is not None
