"""Every route × every role × own family / other family, inside one municipality.

Jammerbugt (family-team model, external contact persons allowed) with two families: A, on
whose team the assigned staff member and the external contact person are, and B, which
they have nothing to do with. Another municipality's ids are covered by
test_tenant_isolation_routes.py. Allowed means: the page answers (200 for a GET) —
neither 403 nor 404.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.admin.models import Invitation
from app.api.models import ApiToken
from app.core.db import db
from app.imports.models import FamilyImport
from app.research.models import Grant, Study
from app.tenancy.scoping import tenant_scope
from tests.support.access import CHILD_WELFARE, FAMILY_ARGS, ROLES, expected
from tests.support.auth import PASSWORD, log_in
from tests.support.routes import local_version_of, report_job_for, tenant_rules


def build(app, rule, values: dict[str, object]) -> str:
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def readable_text(response) -> str:
    """What a person reads in the answer: its text, or a PDF's (the plan's paper copy)."""
    if response.mimetype == "application/pdf":
        reader = PdfReader(io.BytesIO(response.get_data()))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role_and_family(app_ctx, client, jammerbugt_world, role):
    users, ids, membership_id = jammerbugt_world
    with app_ctx.app_context():
        from app.tenancy.models import Department, Municipality

        jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
        with tenant_scope(jammerbugt):
            department_id = db.session.scalars(select(Department.id)).first()
            # A token of the bystander: the matrix may revoke it harmlessly.
            token_id = db.session.scalars(select(ApiToken.id)).first()
            invitation_id = db.session.scalars(select(Invitation.id)).first()
            grant_id = db.session.scalars(select(Grant.id)).first()
            import_id = db.session.scalars(select(FamilyImport.id)).first()
        study_id = db.session.scalars(select(Study.id)).first()
        job_id = report_job_for(users["admin"], jammerbugt)
        version_id = local_version_of(jammerbugt)
    assert log_in(client, users[role].email, PASSWORD).status_code == 302
    checked = 0
    for rule in tenant_rules(app_ctx):
        arguments = rule.arguments - {"slug"}
        family_scoped = bool(arguments & FAMILY_ARGS)
        for family in ("A", "B") if family_scoped else (None,):
            values: dict[str, object] = {"slug": "jammerbugt"}
            for argument in arguments:
                if argument == "form_id":
                    values[argument] = (
                        "child_intake" if "member_id" in arguments else "family_intake"
                    )
                elif argument == "membership_id":
                    values[argument] = membership_id
                elif argument == "department_id":
                    values[argument] = department_id
                elif argument == "token_id":
                    values[argument] = token_id
                elif argument == "grant_id":
                    values[argument] = grant_id
                elif argument == "study_id":
                    values[argument] = study_id
                elif argument == "wave_key":
                    values[argument] = "intake"
                elif argument == "name":
                    values[argument] = "overdue"
                elif argument == "job_id":
                    values[argument] = job_id
                elif argument == "invitation_id":
                    values[argument] = invitation_id
                elif argument == "import_id":
                    values[argument] = import_id
                elif argument == "version_id":
                    values[argument] = version_id
                else:
                    values[argument] = ids[family][argument]  # type: ignore[index]
            url = build(app_ctx, rule, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                response.close()  # file downloads hold their file open until closed
                want = expected(rule.endpoint, method, role, family)
                status = response.status_code
                where = f"{role} {method} {url} ({rule.endpoint}, family {family})"
                if want == "hidden":
                    assert status == 404, where
                elif want == "forbidden":
                    assert status == 403, where
                else:
                    assert status not in (403, 404) and status < 500, f"{where}: {status}"
                    if method == "GET":
                        assert status == 200, where
                if role == "external":
                    body = readable_text(response)
                    leaked = [text for text in CHILD_WELFARE if text in body]
                    assert not leaked, f"{where} shows child-welfare data: {leaked}"
                checked += 1
    assert checked > 40


def test_the_external_contact_sees_the_plan_and_contacts_only(client, jammerbugt_world):
    users, ids, _ = jammerbugt_world
    log_in(client, users["external"].email, PASSWORD)
    home = client.get("/jammerbugt/").get_data(as_text=True)
    assert "Familien A" in home and "Familien B" not in home
    plan = client.get(f"/jammerbugt/families/{ids['A']['family_id']}/plan")
    html = plan.get_data(as_text=True)
    assert plan.status_code == 200
    assert "Mål for familie A" in html and users["staff_assigned"].email in html
    assert "Optag mål" not in html and "Tilføj målet" not in html  # no editing forms
    added = client.post(
        f"/jammerbugt/families/{ids['A']['family_id']}/plan",
        data={"phase": "1", "life_area": "health", "description": "x"},
    )
    assert added.status_code == 403
