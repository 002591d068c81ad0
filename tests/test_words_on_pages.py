"""Every page in Danish shows words for people: titles, not ids.

The loop reads the URL map (as the access matrix does), so a page added later is checked
the day it is added. Jammerbugt has a local form switched on, families with waves and
submissions, a joint plan, and audit events of settings and role changes.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.admin.models import Invitation
from app.admin.services import update_membership, update_settings
from app.api.models import ApiToken
from app.auth.models import Membership
from app.collection.models import FormVersion
from app.core.db import db
from app.imports.models import FamilyImport
from app.research.models import Grant, Study
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope
from app.tenancy.settings_spec import tables
from tests.support.access import FAMILY_ARGS, ROLES, expected
from tests.support.auth import PASSWORD, log_in
from tests.support.routes import ID_PROVIDERS, local_version_of, report_job_for, tenant_rules

#: Words that are codes, not Danish: wave keys, role and status codes.
CODES = re.compile(
    r"\b(follow_up(_\d+)?|intake|staff|lead|external|submitted|draft|overdue|upcoming|"
    r"single_entry|family_team|coordinator)\b"
)
PHRASES = ("{'", "['", "flask ", "This field is required", "None", "True", "False")


def page_text(body: str) -> str:
    """What a reader sees: no scripts, styles or tags; e-mail addresses left out."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\S+@\S+", " ", text)


def problems(text: str, form_ids: set[str]) -> list[str]:
    found = [f for f in form_ids if re.search(rf"(?<![\w.]){re.escape(f)}(?![\w.])", text)]
    found += [p for p in PHRASES if p in text]
    found += sorted({m.group(0) for m in CODES.finditer(text)})
    return found


def _values(app: Flask, users: dict[str, Any], ids: dict[str, dict[str, int]], membership: int):
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    with tenant_scope(jammerbugt):
        shared = {
            "department_id": db.session.scalars(select(Department.id)).first(),
            "token_id": db.session.scalars(select(ApiToken.id)).first(),
            "invitation_id": db.session.scalars(select(Invitation.id)).first(),
            "grant_id": db.session.scalars(select(Grant.id)).first(),
        }
    shared["study_id"] = db.session.scalars(select(Study.id)).first()
    shared["job_id"] = report_job_for(users["admin"], jammerbugt)
    with tenant_scope(jammerbugt):
        shared["import_id"] = db.session.scalars(select(FamilyImport.id)).first()
    shared["version_id"] = local_version_of(jammerbugt)
    shared["membership_id"] = membership
    shared["wave_key"] = "intake"
    return shared


def platform_pages(app: Flask) -> list[Any]:
    """The pages outside a municipality that a signed-in person reads (research, operator,
    account); the sign-in steps and the API are not pages of this kind."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "slug" not in rule.arguments
        and rule.endpoint.split(".")[0] not in ("static", "api", "core", "auth")
    ] + [rule for rule in app.url_map.iter_rules() if rule.endpoint == "auth.account"]


@pytest.fixture
def words_world(app_ctx: Flask, jammerbugt_world: Any) -> Any:
    """The access matrix's Jammerbugt, with a settings change and a role change audited."""
    users, ids, membership_id = jammerbugt_world
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    assert jammerbugt.settings.get("local_forms"), "Jammerbugt has a local form switched on"
    with tenant_scope(jammerbugt, users["admin"].id):
        current = tables(jammerbugt.settings)
        current["follow_up"]["window_days"] = 0
        update_settings(
            jammerbugt, jammerbugt.team_model, current, list(jammerbugt.settings["local_forms"])
        )
        membership = db.session.get(Membership, membership_id)
        update_membership(membership, "lead", membership.department, False, None, None)
        update_membership(membership, "staff", membership.department, False, None, None)
        db.session.commit()
    return users, ids, membership_id


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_ids_codes_or_reprs_in_danish(app_ctx, client, words_world, role):
    users, ids, membership_id = words_world
    shared = _values(app_ctx, users, ids, membership_id)
    form_ids = set(db.session.scalars(select(FormVersion.form_id)))
    assert "jammerbugt.bip" in form_ids
    assert log_in(client, users[role].email, PASSWORD).status_code == 302
    checked, failures = 0, []
    for rule in [*tenant_rules(app_ctx), *platform_pages(app_ctx)]:
        if "GET" not in rule.methods:
            continue
        arguments = rule.arguments - {"slug"}
        values: dict[str, object] = {"slug": "jammerbugt"} if "slug" in rule.arguments else {}
        for argument in arguments:
            if argument == "form_id":
                values[argument] = "child_intake" if "member_id" in arguments else "family_intake"
            elif argument in shared:
                values[argument] = shared[argument]
            elif argument in ("secret", "name"):  # a mailed link nobody holds; a work list
                values[argument] = ID_PROVIDERS[argument](None)
            else:
                values[argument] = ids["A"][argument]
        tenant = "slug" in rule.arguments
        family = "A" if arguments & FAMILY_ARGS else None
        if tenant and expected(rule.endpoint, "GET", role, family) != "allowed":
            continue
        with app_ctx.test_request_context():
            url = app_ctx.url_map.bind("localhost").build(rule.endpoint, values, method="GET")
        response = client.get(url, headers={"Accept-Language": "da"})
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        found = problems(page_text(response.get_data(as_text=True)), form_ids)
        if found:
            failures.append(f"{url}: {found}")
        checked += 1
    assert checked >= 3, role
    assert not failures, "\n".join(failures)


def test_the_check_finds_what_it_must() -> None:
    """The check itself can fail: each kind of slip is caught, and Danish text is not."""
    ids = {"family_intake", "jammerbugt.bip"}
    for slip in (
        "Skema family_intake mangler",
        "Lokalt skema: jammerbugt.bip",
        "Runde follow_up_6",
        "changes: {'role': ['staff', 'lead']}",
        "Kør flask privacy purge",
        "This field is required.",
    ):
        assert problems(slip, ids), slip
    assert not problems("Indskrivning – familien · Opfølgning efter 6 måneder", ids)
