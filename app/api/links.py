"""OpenAPI links of API v1: which response gives the ids another operation takes.

A client (or a stateful fuzzer) follows them from enrolling a family to its members, its
waves, a submission in a wave, and reading and updating that submission, with ids the
server gave out instead of guessed ones. Each link keeps the municipality of the request
it follows from.
"""

from __future__ import annotations

from typing import Any

from app.definitions.loader import CORE_FORMS

SLUG = {"path.slug": "$request.path.slug"}
#: The family a response is about: its own id, or the one in the request's URL.
FAMILY_FROM_BODY = {**SLUG, "path.family_id": "$response.body#/id"}
FAMILY_FROM_PATH = {**SLUG, "path.family_id": "$request.path.family_id"}
#: Every municipality has the core forms; the family-level intake is the first of them.
FAMILY_INTAKE = CORE_FORMS[0]


def _link(
    operation_id: str, description: str, parameters: dict[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "description": description,
        "parameters": parameters,
        **extra,
    }


def _family_links(family: dict[str, str], *, etag: bool) -> dict[str, Any]:
    links = {
        "GetFamily": _link("getFamily", "The family", family),
        "ListMembers": _link("listMembers", "Its adults and children", family),
        "AddMember": _link("addMember", "Add a person to it", family),
        "ListWaves": _link("listWaves", "Its waves", family),
        "GetPlan": _link("getPlan", "Its joint plan", family),
    }
    if etag:
        links["CorrectEnrolmentDate"] = _link(
            "correctEnrolmentDate",
            "Correct its enrolment date, at the version just read",
            {**family, "header.If-Match": "$response.header.ETag"},
        )
    return links


def _submission_links(submission: dict[str, str]) -> dict[str, Any]:
    return {
        "GetSubmission": _link("getSubmission", "The submission", submission),
        "GetFormVersion": _link(
            "getFormVersion",
            "The form version it answers",
            {
                **SLUG,
                "path.form_id": "$response.body#/form_id",
                "path.version": "$response.body#/form_version",
            },
        ),
        "UpdateSubmission": _link(
            "updateSubmission",
            "Save new answers, at the version just read",
            {**submission, "header.If-Match": "$response.header.ETag"},
        ),
    }


#: operationId → status → links of that response.
LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "listForms": {
        "200": {
            "GetFormVersion": _link(
                "getFormVersion",
                "The first form's published version",
                {
                    **SLUG,
                    "path.form_id": "$response.body#/0/form_id",
                    "path.version": "$response.body#/0/version",
                },
            )
        }
    },
    "listFamilies": {
        "200": {
            "GetFamily": _link(
                "getFamily",
                "The first family of the page",
                {**SLUG, "path.family_id": "$response.body#/items/0/id"},
            )
        }
    },
    "enrolFamily": {
        "201": {
            **_family_links(FAMILY_FROM_BODY, etag=True),
            "ListForms": _link("listForms", "The forms its waves are answered with", SLUG),
            "ListFamilies": _link("listFamilies", "The families, it now among them", SLUG),
        }
    },
    # A read gives the version to correct at; the other links follow from the enrolment
    # already, and each extra one thins out the chains a stateful run walks.
    "getFamily": {
        "200": {
            "CorrectEnrolmentDate": _family_links(FAMILY_FROM_BODY, etag=True)[
                "CorrectEnrolmentDate"
            ]
        }
    },
    "addMember": {
        "201": {
            "EndMember": _link(
                "endMember",
                "End the new person's membership",
                {**FAMILY_FROM_PATH, "path.member_id": "$response.body#/id"},
            )
        }
    },
    "listMembers": {
        "200": {
            "EndMember": _link(
                "endMember",
                "End the first person's membership",
                {**FAMILY_FROM_PATH, "path.member_id": "$response.body#/0/id"},
            )
        }
    },
    "listWaves": {
        "200": {
            "CreateSubmission": _link(
                "createSubmission",
                "Start the family's intake form in the first wave (the intake)",
                {**FAMILY_FROM_PATH, "path.wave_id": "$response.body#/0/id"},
                requestBody={"form_id": FAMILY_INTAKE, "answers": {}, "status": "draft"},
                # The whole body, not merged into generated answers no form has.
                **{"x-schemathesis": {"merge_body": False}},
            )
        }
    },
    "createSubmission": {
        "201": _submission_links({**SLUG, "path.submission_id": "$response.body#/id"})
    },
    "getSubmission": {
        "200": {
            "UpdateSubmission": _submission_links(
                {**SLUG, "path.submission_id": "$response.body#/id"}
            )["UpdateSubmission"]
        }
    },
}


def add_links(paths: dict[str, Any]) -> None:
    """Put :data:`LINKS` into the responses of the operations they start from."""
    operations = {
        operation["operationId"]: operation
        for item in paths.values()
        for operation in item.values()
    }
    for operation_id, by_status in LINKS.items():
        for status, links in by_status.items():
            operations[operation_id]["responses"][status]["links"] = links
