"""Computed fields: named calculations a definition may use (``type: computed``).

Definitions name a computation; they cannot contain code. Each computation declares the
fields it reads, so ``flask forms check`` can prove they exist in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Computation:
    inputs: tuple[str, ...]
    function: Callable[[dict[str, Any]], Any]


def who5_score(answers: dict[str, Any]) -> int | None:
    """WHO-5 wellbeing index 0-100: the raw sum of the five items (0-5 each) times four.

    Empty when any item is missing: a partial sum would read as poor wellbeing.
    """
    items = [answers.get(f"who5_{i}") for i in range(1, 6)]
    if any(item is None or isinstance(item, bool) or not isinstance(item, int) for item in items):
        return None
    return sum(items) * 4  # type: ignore[arg-type]


COMPUTATIONS: dict[str, Computation] = {
    "who5_score": Computation(tuple(f"who5_{i}" for i in range(1, 6)), who5_score),
}


def apply_computations(fields: list[Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Return *answers* with every computed field (re)calculated from the others."""
    result = dict(answers)
    for field in fields:
        # Only a computed field is filled in; a typed answer is never overwritten.
        if not field.kind.input and field.compute in COMPUTATIONS:
            value = COMPUTATIONS[field.compute].function(result)
            if value is None:
                result.pop(field.name, None)
            else:
                result[field.name] = value
    return result
