"""Each figure a seed programme published can be read back directly.

Assens' evaluation reports that 45 % of all children (40 of 89) had their case closed;
Helhed's ``children_case_closed`` gives the share of the children with an active case at
start (40 of 75: 53 %). A cohort of that shape is built through the forms, and both
figures are read from the indicators API, under the municipality's disclosure control.
"""

from __future__ import annotations

from datetime import timedelta

from app.api.tokens import create_token
from app.core.db import db
from app.families.services import add_member, enrol_family
from app.tenancy.scoping import tenant_scope
from tests.support.cohort import E, fill, iso

CHILDREN = 89
ACTIVE_AT_START = 75
CLOSED = 40
#: Three children in each family, two in the last: 89 children in 30 families.
PER_FAMILY = 3


def _assens_cohort(assens) -> None:
    with tenant_scope(assens):
        children = []
        for number in range(-(-CHILDREN // PER_FAMILY)):
            family = enrol_family(assens, f"Familien Assens {number}", E)
            for child in range(min(PER_FAMILY, CHILDREN - len(children))):
                children.append((family, add_member(family, "child", f"Barn {number}-{child}", E)))
        db.session.flush()
        for index, (family, child) in enumerate(children):
            active = index < ACTIVE_AT_START
            intake = {"active_case": "true" if active else "false", "n_interventions": "1"}
            if active:
                intake["case_start_date"] = iso(E - timedelta(days=200))
            fill(assens, family, "intake", "child_intake", child, **intake)
            if active:
                closed = index < CLOSED
                follow = {"active_case": "false" if closed else "true", "n_interventions": "1"}
                if closed:
                    follow["case_closed_date"] = iso(E + timedelta(days=150))
                fill(assens, family, "follow_up_6", "child_follow_up", child, **follow)
        db.session.commit()


def test_the_share_of_all_children_and_of_active_cases_read_from_the_api(
    client, municipalities, make_user, forms_published
):
    assens = municipalities["assens"]
    _assens_cohort(assens)
    lead = make_user(assens, "lead")
    with tenant_scope(assens):
        _, secret = create_token(lead, assens, "rapport")
        db.session.commit()
    response = client.get(
        "/api/v1/assens/indicators", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    figures = {i["id"]: i for i in response.get_json()["indicators"]}
    of_all, of_active = figures["children_case_closed_all"], figures["children_case_closed"]
    assert (of_all["n"], of_all["status"], round(of_all["value"])) == (CHILDREN, "shown", 45)
    assert (of_active["n"], of_active["status"], round(of_active["value"])) == (
        ACTIVE_AT_START,
        "shown",
        53,
    )
