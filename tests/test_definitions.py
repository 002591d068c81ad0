"""Form definitions as data: the checker, the condition language, validation, WHO-5."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.definitions import conditions
from app.definitions.compute import who5_score
from app.definitions.loader import CORE_FORMS, PROBLEM_CODES, DefinitionError, load_catalogue
from app.definitions.validation import validate_answers

BROKEN = PROJECT_ROOT / "tests" / "fixtures" / "broken_forms"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(PROJECT_ROOT / "forms")


def test_the_repository_definitions_pass(catalogue):
    assert set(CORE_FORMS) <= set(catalogue.form_ids())
    assert "jammerbugt.bip" in catalogue.form_ids()
    assert {"income_support", "child_measures"} <= set(catalogue.codelists)


def test_core_variables_have_the_names_of_the_core_dataset(catalogue):
    names = {f: [x.name for x in catalogue.latest(f).fields] for f in CORE_FORMS}
    assert names["family_intake"] == [
        "household_type",
        "referral_source",
        "research_consent",
        "n_contact_persons",
        "n_plans",
        "contact_person_type",
    ]
    assert names["adult_intake"] == [
        "birth_year",
        "sex",
        "income_support",
        "years_with_employment_unit",
        "functional_level",
        "who5_1",
        "who5_2",
        "who5_3",
        "who5_4",
        "who5_5",
        "who5_score",
        "employment_activity",
        "employment_activity_date",
    ]
    assert names["child_intake"] == [
        "birth_year",
        "active_case",
        "case_start_date",
        "measures",
        "n_interventions",
        "attendance",
        "sos_scale",
        "functional_level",
    ]
    assert names["family_follow_up"] == ["n_contact_persons", "n_plans", "joint_plan_in_place"]
    assert set(names["adult_follow_up"]) == {
        "income_support",
        "employment_activity",
        "employment_activity_date",
        "functional_level",
        "who5_1",
        "who5_2",
        "who5_3",
        "who5_4",
        "who5_5",
        "who5_score",
    }
    assert names["child_follow_up"] == [
        "active_case",
        "case_closed_date",
        "measures",
        "n_interventions",
        "attendance",
        "sos_scale",
        "functional_level",
    ]
    assert names["family_exit"] == ["exit_date", "exit_reason"]
    income = catalogue.codelists["income_support"]["codes"]
    assert {c["code"] for c in income if c.get("attributes", {}).get("self_supporting")} == {
        "ordinary_employment",
        "education",
        "self_supporting_other",
    }


def test_every_problem_code_has_a_broken_fixture():
    proved = {case.name.split("_", 1)[0] for case in CASES}
    # F017 needs answers in a database; tests/test_form_versions.py proves it.
    assert proved | {"F017"} == set(PROBLEM_CODES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_fixture_is_reported_with_its_code_and_place(case: Path):
    expected = (case / "expected.txt").read_text().strip()
    with pytest.raises(DefinitionError) as caught:
        load_catalogue(case)
    lines = [str(p) for p in caught.value.problems]
    assert any(line.startswith(expected) for line in lines), lines
    # Nothing else is wrong, except that a broken code list leaves its users without one.
    code = case.name.split("_", 1)[0]
    assert {p.code for p in caught.value.problems} - {"F013"} == {code} - {"F013"}, lines


def test_forms_check_cli_reports_broken_fixtures(app_ctx):
    runner = app_ctx.test_cli_runner()
    ok = runner.invoke(args=["forms", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ok: adult_intake (versions 1)" in ok.output
    case = BROKEN / "F015_show_if_unknown_field"
    broken = runner.invoke(args=["forms", "check", "--dir", str(case)])
    assert broken.exit_code == 1
    assert (case / "expected.txt").read_text().strip() in broken.output


# -- show_if --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("employment_activity", {"employment_activity": True}, True),
        ("employment_activity", {"employment_activity": False}, False),
        ("employment_activity", {}, False),
        ("active_case == false", {"active_case": False}, True),
        ("active_case == false", {}, False),
        ("not active_case", {"active_case": True}, False),
        ("n > 2 and n <= 5", {"n": 3}, True),
        ("n > 2 and n <= 5", {"n": 6}, False),
        ("kind in ['a', 'b'] or other", {"kind": "c", "other": "x"}, True),
        ("kind in ['a', 'b'] or other", {"kind": "c"}, False),
        ("measures == 'bl46_placement'", {"measures": ["bl32_other", "bl46_placement"]}, True),
        ("(a or b) and not c", {"a": 1, "c": 0}, True),
        ("x != 'y'", {"x": "z"}, True),
        ("x < 3", {"x": "text"}, False),
    ],
)
def test_conditions_evaluate(source, answers, expected):
    assert conditions.evaluate(conditions.parse(source), answers) is expected


@pytest.mark.parametrize(
    "source",
    ["", "a ==", "a == == b", "(a", "__import__('os').system('x')", "a; b", "a.b", "1 +"],
)
def test_conditions_reject_anything_but_the_small_language(source):
    with pytest.raises(conditions.ConditionError):
        conditions.parse(source)


def test_conditions_list_the_fields_they_use():
    assert conditions.fields_used(conditions.parse("a and (b == 1 or not c)")) == {"a", "b", "c"}


# -- WHO-5 ----------------------------------------------------------------------------------


def test_who5_score_is_the_sum_times_four():
    answers = {f"who5_{i}": v for i, v in enumerate([5, 4, 3, 2, 1], start=1)}
    assert who5_score(answers) == 60
    assert who5_score({f"who5_{i}": 0 for i in range(1, 6)}) == 0
    assert who5_score({f"who5_{i}": 5 for i in range(1, 6)}) == 100


def test_who5_score_is_empty_when_an_item_is_missing():
    answers = {f"who5_{i}": 3 for i in range(1, 5)}
    assert who5_score(answers) is None
    assert who5_score({**answers, "who5_5": None}) is None


def test_who5_score_is_computed_on_validation(catalogue):
    form = catalogue.latest("adult_follow_up")
    raw = {f"who5_{i}": str(i) for i in range(1, 6)}
    result = validate_answers(form, raw, complete=False, today=date(2026, 11, 23))
    assert result.ok and result.answers["who5_score"] == 60
    partial = validate_answers(form, {"who5_1": "5"}, complete=False, today=date(2026, 11, 23))
    assert "who5_score" not in partial.answers


# -- validation -----------------------------------------------------------------------------


def test_hidden_conditional_fields_are_neither_required_nor_stored(catalogue):
    form = catalogue.latest("child_intake")
    raw = {
        "birth_year": "2015",
        "active_case": "false",
        "case_start_date": "01-02-2024",
        "n_interventions": "0",
        "attendance": "stable",
        "sos_scale": "8",
        "functional_level": "B",
    }
    result = validate_answers(form, raw, complete=True, today=date(2026, 11, 23))
    assert result.ok, result.errors
    assert "case_start_date" not in result.answers
    shown = validate_answers(
        form,
        {**raw, "active_case": "true", "case_start_date": ""},
        complete=True,
        today=date(2026, 11, 23),
    )
    assert set(shown.errors) == {"case_start_date"}


def test_values_are_parsed_the_danish_way_and_stored_plainly(catalogue):
    form = catalogue.latest("adult_intake")
    raw = {
        "years_with_employment_unit": "4,2",
        "employment_activity": "true",
        "employment_activity_date": "15-03-2026",
        "birth_year": " 1987 ",
    }
    result = validate_answers(form, raw, complete=False, today=date(2026, 11, 23))
    assert result.ok, result.errors
    assert result.answers["years_with_employment_unit"] == 4.2
    assert result.answers["employment_activity_date"] == "2026-03-15"
    assert result.answers["birth_year"] == 1987


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("years_with_employment_unit", "4,25"),
        ("years_with_employment_unit", "51"),
        ("birth_year", "1929"),
        ("birth_year", "2999"),
        ("birth_year", "nineteen"),
        ("employment_activity_date", "31-02-2026"),
        ("income_support", "lottery"),
        ("who5_1", "6"),
        ("employment_activity", "perhaps"),
    ],
)
def test_bad_values_are_refused_even_in_drafts(catalogue, field, value):
    form = catalogue.latest("adult_intake")
    result = validate_answers(
        form,
        {field: value, "employment_activity": "true"} | {field: value},
        complete=False,
        today=date(2026, 11, 23),
    )
    assert field in result.errors
    assert field not in result.answers


def test_codes_outside_their_validity_cannot_be_chosen_but_old_answers_keep_them(catalogue):
    form = catalogue.latest("adult_intake")
    today = date(2026, 11, 23)
    new = validate_answers(
        form, {"income_support": "uddannelseshjaelp"}, complete=False, today=today
    )
    assert "income_support" in new.errors
    kept = validate_answers(
        form,
        {"income_support": "uddannelseshjaelp"},
        complete=False,
        today=today,
        previous={"income_support": "uddannelseshjaelp"},
    )
    assert kept.ok and kept.answers["income_support"] == "uddannelseshjaelp"
    before = validate_answers(
        form, {"income_support": "uddannelseshjaelp"}, complete=False, today=date(2025, 6, 30)
    )
    assert before.ok


def test_unknown_fields_are_refused(catalogue):
    form = catalogue.latest("family_exit")
    result = validate_answers(
        form, {"exit_reason": "moved", "cpr": "x"}, complete=False, today=date(2026, 11, 23)
    )
    assert "cpr" in result.errors
