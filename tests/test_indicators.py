"""Every indicator against a cohort whose answers were worked out by hand.

The cohort is built through the service layer (enrolment, members, forms submitted as
staff would), on SQLite and on PostgreSQL. The figures in EXPECTED were computed on paper
from the answers below; the comments show the sums.
"""

from __future__ import annotations

import pytest

from app.reports.cohort import Cohort
from app.reports.disclosure import Cell, protect
from app.reports.indicator_run import compute
from app.reports.indicators import BY_ID, INDICATORS
from app.tenancy.scoping import tenant_scope
from tests.support.cohort import AS_OF

#: indicator -> (people it is based on, numerator or sum), and the value shown at k=1.
EXPECTED = {
    "families_enrolled": ((4, 4), 4),
    "adults_enrolled": ((5, 5), 5),
    "children_enrolled": ((4, 4), 4),
    # A1 aktivitetsparat, B1 sygedagpenge, D1 a-dagpenge of 4 (C1 'unknown' left out)
    "adults_income_support_intake": ((4, 3), 75.0),
    # (4.0 + 0.5 + 6.0 + 2.5 + 1.0) / 5
    "adults_years_employment_unit_intake": ((5, 14.0), 2.8),
    # A1 35, B1 32, D1 30 (C1 41, A2 a man)
    "adults_women_30_40": ((5, 3), 60.0),
    "single_parent_households": ((4, 2), 50.0),
    "children_active_case_intake": ((4, 3), 75.0),
    # (365 + 1095 + 548) days / 365.25 / 3 children
    "children_case_years_intake": ((3, 2008 / 365.25), 1.8),
    # A1 (12 months), A2 (6 and 12), B1 (6) of all five adults with a follow-up
    "adults_self_supporting_any": ((5, 3), 60.0),
    # latest: A1 and A2 in ordinary employment; B1, C1 and D1 not
    "adults_self_supporting_latest": ((5, 2), 40.0),
    # Ac1 (12), Bc1 (6, reopened at 12) of Ac1, Bc1, Cc1
    "children_case_closed": ((3, 2), 66.7),
    # the same two closed cases, of all four children with an intake
    "children_case_closed_all": ((4, 2), 50.0),
    # first self-supporting wave: A and B at 6 months; before it only intake: 4, 0, 6
    "interventions_before_self_supporting": ((3, 10.0), 3.3),
    # from 6 months: Ac1 (3+1)/2, Ac2 0, Bc1 (2+5)/2 → 2 + 0 + 3.5
    "interventions_after_self_supporting": ((3, 5.5), 1.8),
    "contact_persons_intake": ((4, 18.0), 4.5),
    # latest: A 3, B 4, C 1, D 2
    "contact_persons_latest": ((4, 10.0), 2.5),
    "plans_intake": ((4, 10.0), 2.5),
    # latest: A 1, B 2, C 1, D 2
    "plans_latest": ((4, 6.0), 1.5),
    # A1 day 30, D1 day 10, C1 day 100 (told at 6 months); B1 day 200 and A2 day 300 too late
    "adults_activity_within_6_months": ((5, 3), 60.0),
    # A (Ac1 closed, A1/A2 self-supporting) and B (Bc1 closed, B1)
    "families_case_closed_and_self_supporting": ((2, 2), 2),
    # (40 + 60 + 20 + 80 + 40) / 5
    "who5_intake": ((5, 240.0), 48.0),
    # latest: A1 80, A2 40, B1 40, C1 80, D1 60
    "who5_latest": ((5, 300.0), 60.0),
    # A1 +40, B1 +20, D1 +20; A2 −20, C1 0
    "who5_improved_10": ((5, 3), 60.0),
    # The plans' goals (tests/support/cohort.py), each family's share achieved at the
    # latest status: A g1 g2 g7 of g1 g2 g3 g7 = 3/4 (g4 changed, g5 no status, g6
    # deleted), B b2 of b1 b2 b3 = 1/3, C c2 of c1 c2 = 1/2, D d1 = 1
    "goals_achieved": ((4, 3 / 4 + 1 / 3 + 1 / 2 + 1), 64.6),
    # A g1 (g6 deleted) 1, B b1 (achieved, then dropped) 0
    "goals_achieved_work_education": ((2, 1.0), 50.0),
    "goals_achieved_children_school_wellbeing": ((1, 1.0), 100.0),
    # A g3 0, C c1 (not achieved, then partly) 0
    "goals_achieved_economy": ((2, 0.0), 0.0),
    # A g4 changed: not counted; C c2 1
    "goals_achieved_health": ((1, 1.0), 100.0),
    "goals_achieved_housing": ((1, 1.0), 100.0),
    # A g7, D d1
    "goals_achieved_everyday_structure": ((2, 2.0), 100.0),
    # A g5 no status; B b3 partly
    "goals_achieved_leisure": ((1, 0.0), 0.0),
    # A g1 g2 = 1, B 1/3, C 1/2, D 1
    "goals_achieved_phase_1": ((4, 1 + 1 / 3 + 1 / 2 + 1), 70.8),
    "goals_achieved_phase_2": ((1, 0.0), 0.0),
    # A g7 (g4 changed)
    "goals_achieved_phase_3_on": ((1, 1.0), 100.0),
    # 7 follow-ups whose window closed by AS_OF; only D's (answered inside its window) on time
    "follow_up_completeness": ((7, 1), 14.3),
}


def test_every_indicator_has_an_expected_value():
    assert set(EXPECTED) == set(BY_ID)


def test_every_indicator_matches_the_hand_computed_cohort(cohort):
    with tenant_scope(cohort):
        raw = compute(Cohort((cohort.id,), AS_OF))
    for indicator in INDICATORS:
        (n, value), shown = EXPECTED[indicator.id]
        assert set(raw[indicator.id]) == {(cohort.id, "coordinator")}, indicator.id
        got_n, got_value = raw[indicator.id][(cohort.id, "coordinator")]
        assert got_n == n, indicator.id
        assert got_value == pytest.approx(value, abs=1e-9), indicator.id
        table = protect(indicator.kind, [[Cell(got_n, got_value)]], k=1)
        assert table.grand_total.value == shown, indicator.id


def test_another_municipality_sees_only_its_own(cohort, municipalities):
    vejle = municipalities["vejle"]
    with tenant_scope(vejle):
        raw = compute(Cohort((vejle.id,), AS_OF))
    assert raw["families_enrolled"] == {(vejle.id, "single_entry"): (1, 1.0)}
    assert raw["adults_income_support_intake"] == {(vejle.id, "single_entry"): (1, 0.0)}
    # Asking for Brøndby from inside Vejle's scope finds nothing: the boundary holds.
    with tenant_scope(vejle):
        leaked = compute(Cohort((cohort.id,), AS_OF))
    assert all(not figures for figures in leaked.values())
