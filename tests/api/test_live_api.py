"""The API against a live server: Schemathesis over every operation, and a client that
uses nothing but the OpenAPI document and a token. Both on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import PROJECT_ROOT

#: Tens of seconds or more: left out of `make test-quick`; `make test` runs it.
pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(live_api):
    return schemathesis.openapi.from_url(f"{live_api.url}/api/v1/openapi.json")


@pytest.fixture
def lead_token(live_api) -> str:
    return live_api.token("lead@vejle.example", "vejle")


def test_the_document_is_valid_openapi_3_1(api_schema):
    assert api_schema.raw_schema["openapi"] == "3.1.0"
    api_schema.validate()  # raises on any violation of the OpenAPI 3.1 meta-schema
    ids = [op.ok().definition.raw["operationId"] for op in api_schema.get_all_operations()]
    assert len(ids) == len(set(ids)) == 17


def test_every_operation_conforms_to_the_document(api_schema, live_api, lead_token):
    """Generated requests for every operation: no server error, and every response (status,
    content type, headers, body) is what the document says."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case):  # type: ignore[no-untyped-def]
            # Half the cases address the real municipality, to get past the tenant lookup.
            if case.path_parameters and hash(str(case.path_parameters)) % 2:
                case.path_parameters["slug"] = "vejle"
            case.call_and_validate(
                base_url=live_api.url,
                headers={"Authorization": f"Bearer {lead_token}"},
                checks=CHECKS,
            )

        check()


def test_a_client_with_only_the_document_and_a_token_runs_a_family(live_api):
    token = live_api.token("staff@vejle.example", "vejle")
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "docs" / "examples" / "openapi_client.py"),
            "--base",
            live_api.url,
            "--municipality",
            "vejle",
            "--token",
            token,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    # 2 adults + 3 children: (family + 2 adult + 3 child forms) × intake and follow-up.
    assert summary["members"] == 5 and summary["submitted"] == 12
    assert summary["intake_status"] == "completed"


def test_every_api_route_is_in_the_document_and_nothing_else(app_ctx):
    import re

    from app.api.schema import document

    documented = {
        (method.upper(), path) for path, item in document()["paths"].items() for method in item
    }
    routed = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app_ctx.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented
