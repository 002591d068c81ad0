"""The indicator registry: every indicator registered beside its SQL, by keyword only."""

from __future__ import annotations

import ast
import inspect

import pytest

from app.reports import indicators as package
from app.reports.indicators import BY_ID, INDICATORS, SECTIONS
from app.reports.indicators.registry import KINDS, UNITS, indicator, registered

TEXTS = ("name", "definition", "numerator", "denominator", "basis")


def test_the_decorator_takes_keywords_only():
    parameters = inspect.signature(indicator).parameters.values()
    assert parameters and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    with pytest.raises(TypeError):
        indicator("families_enrolled", "count")


@pytest.mark.parametrize(
    "change",
    [{"kind": "median"}, {"unit": "households"}, {"section": "elsewhere"}, {"id": "who5_intake"}],
)
def test_an_unknown_kind_unit_or_section_or_a_second_id_is_refused(change):
    known = BY_ID["who5_latest"]
    arguments = {
        "id": "an_indicator_of_a_test",
        "kind": known.kind,
        "unit": known.unit,
        "section": known.section,
        **{name: getattr(known, name) for name in TEXTS},
        **change,
    }
    with pytest.raises(ValueError):
        indicator(**arguments)
    assert "an_indicator_of_a_test" not in {i.id for i in registered()}


def test_every_indicator_is_whole_and_in_the_module_of_its_section():
    assert len(BY_ID) == len(INDICATORS) > 0
    order = list(SECTIONS)
    assert [order.index(i.section) for i in INDICATORS] == sorted(
        order.index(i.section) for i in INDICATORS
    )
    for item in INDICATORS:
        assert item.kind in KINDS and item.unit in UNITS, item.id
        for name in TEXTS:
            text = getattr(item, name)
            assert set(text) == {"da", "en"}, (item.id, name)
            assert bool(text["da"]) == bool(text["en"]), (item.id, name)
        for name in ("name", "definition", "basis"):
            assert getattr(item, name)["da"], (item.id, name)
        # Definition and SQL together: the statement is the function in its section's module.
        assert item.statement.__module__ == f"{package.__name__}.{item.section}", item.id
        assert item.statement.__name__ == item.id


def test_every_section_module_registers_with_the_decorator_alone():
    """No indicator is built by hand: each is a function decorated with @indicator(...)."""
    for section in SECTIONS:
        module = getattr(package, section)
        tree = ast.parse(inspect.getsource(module))
        decorated = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "indicator"
                for d in node.decorator_list
            )
        }
        assert decorated == {i.id for i in INDICATORS if i.section == section}, section
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Indicator"
        ]
        assert not calls, section
