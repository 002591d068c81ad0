"""Every registered route, as every kind of user, against another municipality: 404.

The loop reads the URL map, so a new route is covered the day it is added; a route with a
URL parameter this file does not know how to fill fails the test until it is taught.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.admin.models import Invitation
from app.api.models import ApiToken
from app.auth.models import Membership, User
from app.collection.models import Submission
from app.core.db import db
from app.families.models import Assignment, Family, Member, Wave
from app.plans.models import Goal
from app.reports.models import ReportJob
from app.research.models import Grant
from app.tenancy.config_files import RESERVED_SLUGS
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope

MEMBER_ROLES = ("admin", "lead", "staff", "external")
PLATFORM_ROLES = ("operator", "researcher")


def _submit_intake(municipality: Municipality, family_id: int) -> None:
    from datetime import date

    from app.collection.services import forms_for_wave, save_submission
    from tests.conftest import valid_formdata

    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        wave = family.waves[0]
        adult = family.active_members(wave.due_date, "adult")[0]
        version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == "adult_intake")
        raw = valid_formdata(version.form, date.today())
        from app.plans.models import Plan
        from app.plans.services import add_goal

        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
        add_goal(plan, 1, "housing", "Et hjem", None)
        save_submission(
            municipality,
            wave,
            version,
            adult,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=None,
            today=date.today(),
        )
        db.session.commit()


def invite_someone(municipality: Municipality, make_user, admin) -> None:
    """An invitation waiting in *municipality*, for an account that is nobody's member."""
    from app.admin.invitations import invite

    invitee = make_user()
    invite(municipality, invitee, invitee.email, "staff", invited_by=admin.id)


def _membership_of(municipality: Municipality) -> int:
    with tenant_scope(municipality):
        return db.session.scalars(select(Membership.id)).first()  # type: ignore[return-value]


def _first(model: type) -> Callable[[Municipality], int]:
    def provide(municipality: Municipality) -> int:
        with tenant_scope(municipality):
            found = db.session.scalars(select(model.id).order_by(model.id)).first()
        assert found is not None, f"the world has no {model.__name__} in {municipality.slug}"
        return found

    return provide


#: URL parameter -> a value that belongs to the given municipality.
ID_PROVIDERS: dict[str, Callable[[Municipality], object]] = {
    "membership_id": _membership_of,
    "family_id": _first(Family),
    "member_id": _first(Member),
    "wave_id": _first(Wave),
    "submission_id": _first(Submission),
    "assignment_id": _first(Assignment),
    "goal_id": _first(Goal),
    "department_id": _first(Department),
    "token_id": _first(ApiToken),
    "invitation_id": _first(Invitation),
    "grant_id": _first(Grant),
    "job_id": _first(ReportJob),
    # Platform-level, shared by every municipality: not a tenant's id.
    "study_id": lambda municipality: _study_id(),
    "wave_key": lambda municipality: "intake",
}
#: Parameters that name shared, platform-level things rather than a municipality's rows.
PLATFORM_ARGS = {"study_id", "wave_key", "form_id"}


def _study_id() -> int:
    from app.research.models import Study

    return db.session.scalars(select(Study.id)).first()


def _form_id(rule) -> str:
    # Not an id: the same core form exists everywhere; the wave id makes it another's.
    return "adult_intake" if "member_id" in rule.arguments else "family_intake"


def tenant_rules(app: Flask) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and "slug" in rule.arguments
        # The API authenticates with tokens, not sessions: tests/api/ loops over it.
        and not rule.endpoint.startswith("api.")
    ]


def build_url(app: Flask, rule, slug: str, ids_from: Municipality) -> str:
    values: dict[str, object] = {"slug": slug}
    for argument in rule.arguments - {"slug"}:
        if argument == "form_id":
            values[argument] = _form_id(rule)
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


@pytest.fixture
def world(municipalities, make_user, make_family):
    """Brøndby users of every role, and data in Vejle that they must never reach."""
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    for slug in ("brondby", "vejle"):
        staff = make_user(municipalities[slug], "staff")
        family = make_family(slug, adults=1, children=1, label=f"Familien {slug}", team=[staff])
        from app.api.tokens import create_token

        with tenant_scope(municipalities[slug], staff.id):
            create_token(staff, municipalities[slug], "isolation")
            invite_someone(municipalities[slug], make_user, staff)
            db.session.commit()
        _submit_intake(municipalities[slug], family.id)
    users = {role: make_user(brondby, role, email=f"{role}@brondby.test") for role in MEMBER_ROLES}
    for role in PLATFORM_ROLES:
        users[role] = make_user(platform_role=role, email=f"{role}@platform.test")
    from app.research.services import create_study, grant_study

    study = create_study("Isolation", "Test", "Test")
    grant_study(vejle, study, forms=["family_intake"], waves=["intake"])
    db.session.commit()
    secret = make_user(vejle, "staff", email="secret.person@vejle.test")
    from tests.test_access_matrix import report_job_for

    report_job_for(users["admin"], brondby)
    report_job_for(make_user(vejle, "lead"), vejle)
    return brondby, vejle, users, secret


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
