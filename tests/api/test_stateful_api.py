"""Schemathesis's stateful phase against a live server, as an outside client runs it (the
engine behind ``schemathesis run --phases stateful``), on SQLite and PostgreSQL.

The document's links lead from enrolling a family to its members and waves, a submission
in a wave, and reading and updating it, so the run uses ids the server handed out. Before
the links, every operation with an id in its URL answered 404 to nearly every generated
request, and the fuzzing never reached the logic behind it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from app.api.links import LINKS

#: Tens of seconds or more: left out of `make test-quick`; `make test` runs it.
pytestmark = pytest.mark.slow

#: Scenarios of the stateful phase: enough to walk enrol → waves → submission → update.
SCENARIOS = 200
#: Runs at most, until every linked operation has answered something other than 404.
ROUNDS = 8
#: The first round's seed.
SEED = 20261201
#: Steps of one scenario, from a root operation along its links.
STEPS = 16
#: The checks of test_live_api.py: no server error; status, content type, headers and body
#: as documented.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


def test_a_stateful_run_reaches_every_operation_with_real_ids(live_api) -> None:
    """Every linked operation answers something other than 404, and no check fails."""
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/v1/openapi.json")
    token = live_api.token("lead@vejle.example", "vejle")
    # A client knows its municipality (its token belongs to it); links carry it on.
    schema.config.update(
        base_url=live_api.url,
        headers={"Authorization": f"Bearer {token}"},
        parameters={"slug": "vejle"},
    )
    schema.config.phases.update(phases=["stateful"])
    schema.config.phases.stateful.max_steps = STEPS
    # The document's own links only: links Schemathesis guesses from names and Location
    # headers (a hundred more) would thin out the chains the document describes.
    schema.config.phases.stateful.inference.algorithms = []
    # NUL in a body is refused before any view (the Hypothesis fuzzing sends it on purpose);
    # here it would end most chains at their first write.
    schema.config.phases.stateful.generation.update(max_examples=SCENARIOS, allow_x00=False)
    schema.config.checks.update(included_check_names=CHECKS)

    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    failures: list[str] = []
    errors: list[object] = []
    linked = _linked_operations()
    # One run of the engine stops after a few hundred requests, whatever max_examples says,
    # and a chain as long as enrol → waves → submission → read comes up in most runs, not
    # in every one; a few runs together reach it.
    for round_ in range(ROUNDS):
        # Each round its own fixed seed: the same requests in every run of the suite, and
        # a failure can be replayed; a round that repeated the last would reach nothing new.
        schema.config.seed = SEED + round_
        _run(schema, statuses, failures, errors)
        if not _only_404(linked, statuses):
            break

    assert not errors, errors
    assert not failures, "\n".join(sorted(set(failures)))
    with_ids = {
        result.ok().definition.raw["operationId"]
        for result in schema.get_all_operations()
        if any(parameter.name != "slug" for parameter in result.ok().path_parameters)
    }
    assert with_ids <= linked, f"no link gives the ids of {sorted(with_ids - linked)}"
    only_404 = _only_404(linked, statuses)
    assert not only_404, f"answered only 404 (or never called): {only_404}\n{dict(statuses)}"


def _run(
    schema: object, statuses: dict[str, Counter[int]], failures: list[str], errors: list[object]
) -> None:
    for event in from_schema(schema).execute():  # type: ignore[arg-type]
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                operation = recorder.cases[case_id].value.operation.definition.raw["operationId"]
                if interaction.response is not None:
                    statuses[operation][interaction.response.status_code] += 1
            failures += [
                f"{check.name}: {check.failure_info.failure.title}"
                for checks in recorder.checks.values()
                for check in checks
                if check.status == Status.FAILURE and check.failure_info is not None
            ]
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(event)


def _linked_operations() -> set[str]:
    """Every operation a link leads to or from. The two with neither (settings and
    indicators) take no id and need no state: test_live_api.py fuzzes them."""
    return set(LINKS) | {
        link["operationId"]
        for by_status in LINKS.values()
        for links in by_status.values()
        for link in links.values()
    }


def _only_404(operations: set[str], statuses: dict[str, Counter[int]]) -> list[str]:
    return sorted(op for op in operations if set(statuses[op]) <= {404})
