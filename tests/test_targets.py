"""A programme's targets beside its figures: Jammerbugt's "at least 10 families where a
child's case closes and a parent can hold a job" reads "n of 10" in the indicators API, the
report page and its PDF, with the count under the same disclosure control as everywhere."""

from __future__ import annotations

import io
import tomllib
from datetime import timedelta
from html import unescape

import pytest
import tomli_w
from pypdf import PdfReader

from app.api.tokens import create_token
from app.core.db import db
from app.families.services import add_member, enrol_family
from app.reports.figures import municipality_report
from app.reports.render import render_document, render_pdf
from app.tenancy.config_files import parse
from app.tenancy.scoping import tenant_scope
from app.tenancy.services import export_municipality
from tests.support.cohort import E, adult_follow, child_follow, fill, iso

TARGET = 10


def _families_reaching_it(jammerbugt, count: int) -> None:
    """*count* families whose child's case closed and whose adult became self-supporting."""
    with tenant_scope(jammerbugt):
        for number in range(count):
            family = enrol_family(jammerbugt, f"Familien Mål {number}", E)
            adult = add_member(family, "adult", f"Voksen {number}", E)
            child = add_member(family, "child", f"Barn {number}", E)
            db.session.flush()
            fill(
                jammerbugt,
                family,
                "intake",
                "child_intake",
                child,
                active_case="true",
                case_start_date=iso(E - timedelta(days=100)),
                n_interventions="1",
            )
            fill(
                jammerbugt,
                family,
                "follow_up_6",
                "child_follow_up",
                child,
                **child_follow(False, 1),
            )
            fill(
                jammerbugt,
                family,
                "follow_up_6",
                "adult_follow_up",
                adult,
                **adult_follow("ordinary_employment", 3),
            )
        db.session.commit()


def _api_targets(client, jammerbugt, make_user) -> list[dict]:
    lead = make_user(jammerbugt, "lead")
    with tenant_scope(jammerbugt):
        _, secret = create_token(lead, jammerbugt, "rapport")
        db.session.commit()
    response = client.get(
        "/api/v1/jammerbugt/indicators", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    return response.get_json()["targets"]


@pytest.mark.parametrize(("families", "shown"), [(6, "6 af 10"), (3, "skjult af 10")])
def test_the_target_reads_n_of_10_in_the_api_the_page_and_the_pdf(
    client, auth, municipalities, make_user, forms_published, families, shown
):
    jammerbugt = municipalities["jammerbugt"]
    _families_reaching_it(jammerbugt, families)
    (target,) = _api_targets(client, jammerbugt, make_user)
    visible = families >= client.application.config.get("SUPPRESSION_K", 5)
    assert target == {
        "indicator": "families_case_closed_and_self_supporting",
        "comparison": "at_least",
        "target": TARGET,
        "by": None,
        "current": families if visible else None,
        "status": "shown" if visible else "suppressed",
        "reached": False if visible else None,
    }
    lead = make_user(jammerbugt, "lead")
    auth.login(lead.email)
    page = unescape(client.get("/jammerbugt/reports/").get_data(as_text=True))
    section = page.split('id="targets-heading"', 1)[1].split("</section>", 1)[0]
    assert shown in section and "Mindst 10" in section
    assert ("<svg" in section) == visible  # no bar that would tell a hidden count
    with tenant_scope(jammerbugt):
        report = municipality_report(jammerbugt)
    text = "\n".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(render_pdf(render_document(report, "da")))).pages
    )
    assert "Programmets mål" in text and shown in text


def test_targets_are_checked_and_round_trip_through_export(app_ctx, municipalities):
    exported = export_municipality(municipalities["jammerbugt"])
    assert exported["targets"] == [
        {"indicator": "families_case_closed_and_self_supporting", "at_least": TARGET}
    ]
    again = parse(tomllib.loads(tomli_w.dumps(exported)), source="x", expected_slug="jammerbugt")
    assert again.settings["targets"] == municipalities["jammerbugt"].settings["targets"]
