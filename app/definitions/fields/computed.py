"""Computed fields: filled in from other answers by a named computation, never typed."""

from __future__ import annotations

from typing import Any

from app.definitions.compute import COMPUTATIONS
from app.definitions.fields.base import FieldType, Report


class Computed(FieldType):
    name = "computed"
    compared_as = "number"
    storage = "integer"
    export_type = "integer"
    input = False
    widget = "computed"
    stored_in = "number"

    def typed_value(self, value: Any) -> Any:
        return float(value)

    def check(
        self,
        item: dict[str, Any],
        *,
        names: list[str],
        low: float | None,
        high: float | None,
        report: Report,
    ) -> None:
        compute = item.get("compute")
        if compute not in COMPUTATIONS:
            report("F020", f"unknown computation {compute!r}")
            return
        for needed in COMPUTATIONS[compute].inputs:
            if needed not in names:
                report("F021", f"{compute} needs field {needed!r}")
