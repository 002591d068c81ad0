"""A client that knows nothing of Helhed but its OpenAPI document and a token.

It enrols a family with two adults and three children, fills the intake for the family
and every member, and then the first follow-up, finding every operation by its
``operationId`` and building every answer from the published form metadata. Standard
library only.

    python docs/examples/openapi_client.py --base http://127.0.0.1:5000 \\
        --municipality vejle --token hlh_…
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import date
from typing import Any


class Refused(Exception):
    """A 422: the problem document says which fields, and which checks, refused the answers."""

    def __init__(self, problem: dict[str, Any]):
        super().__init__(json.dumps(problem, ensure_ascii=False))
        self.problem = problem

    def warnings_only(self) -> list[str]:
        """The ids of the warnings, if nothing but warnings (and the window) stood in the way."""
        errors = [e for e in self.problem.get("errors", []) if e["field"] not in WINDOW_FIELDS]
        if any(e.get("severity") != "warning" for e in errors):
            return []
        return sorted({e["check"] for e in errors})

    def outside_window(self) -> bool:
        """The form is submitted outside its wave's window: a reason must be given."""
        return any(e["field"] in WINDOW_FIELDS for e in self.problem.get("errors", []))

    def answerable(self) -> bool:
        """Nothing but warnings and the window's question stood in the way."""
        errors = self.problem.get("errors", [])
        return bool(errors) and all(
            e["field"] in WINDOW_FIELDS or e.get("severity") == "warning" for e in errors
        )


#: The fields that answer the window's question (window_reason is one of the enum in the
#: document's SubmissionCreate schema).
WINDOW_FIELDS = ("window_reason", "window_confirmed")


class Api:
    def __init__(self, base: str, slug: str, token: str):
        self.base = base.rstrip("/")
        self.slug = slug
        self.token = token
        document = self._send("GET", "/api/v1/openapi.json", authenticate=False)[0]
        assert document["openapi"].startswith("3.1"), "expected an OpenAPI 3.1 document"
        self.operations: dict[str, tuple[str, str]] = {
            operation["operationId"]: (method.upper(), path)
            for path, item in document["paths"].items()
            for method, operation in item.items()
        }

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        authenticate: bool = True,
    ) -> tuple[Any, dict[str, str]]:
        request = urllib.request.Request(self.base + path, method=method)
        if authenticate:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data=data, timeout=30) as response:
                return json.loads(response.read() or b"null"), dict(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            if error.code == 422:
                raise Refused(json.loads(text)) from error
            raise SystemExit(f"{method} {path} -> {error.code}: {text}") from error

    def call(
        self,
        operation_id: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Any:
        method, template = self.operations[operation_id]
        path = template.format(slug=self.slug, **params)
        return self._send(method, path, body, headers)[0]


def answers_for(form: dict[str, Any], member_age: str) -> dict[str, Any]:
    """Plausible answers from the form's own field definitions."""
    codelists = form["codelists"]
    answers: dict[str, Any] = {}
    for section in form["sections"]:
        for field in section["fields"]:
            kind, name = field["type"], field["name"]
            low = field.get("min")
            if kind == "computed":
                continue
            if kind in ("integer", "scale"):
                if name == "birth_year":
                    answers[name] = 1990 if member_age == "adult" else 2016
                else:
                    answers[name] = int(low) if isinstance(low, (int, float)) else 1
            elif kind == "decimal":
                answers[name] = 2.5
            elif kind == "date":
                answers[name] = date.today().isoformat()
            elif kind == "boolean":
                answers[name] = True
            elif kind in ("single_choice", "multiple_choice"):
                today = date.today().isoformat()
                codes = [
                    c["code"]
                    for c in codelists[field["codelist"]]["codes"]
                    if c.get("valid_from", "0000") <= today <= c.get("valid_to", "9999")
                ]
                answers[name] = codes[0] if kind == "single_choice" else codes[:1]
            elif kind in ("text", "textarea"):
                answers[name] = "Svar"
    return answers


def submit(api: Api, body: dict[str, Any], family_id: int, wave_id: int) -> dict[str, Any]:
    """Create the submission, answering what the server asks for on the way.

    A form's data-quality checks may warn about answers that are unusual but possible, and
    a form submitted outside its wave's window (here the follow-up, months early) needs a
    reason. The server names one and then the other. A real integration shows the messages
    to the caseworker and sends their confirmation and reason; these answers are made up,
    so the example confirms the warnings, gives a reason, and stops on anything else.
    """
    for _attempt in range(3):
        try:
            return api.call("createSubmission", body, family_id=family_id, wave_id=wave_id)
        except Refused as refused:
            if not refused.answerable():
                raise SystemExit(f"refused: {refused}") from refused
            if refused.warnings_only():
                body["confirmed_checks"] = refused.warnings_only()
            if refused.outside_window():
                body["window_reason"] = "other"
                body["window_confirmed"] = True
    raise SystemExit("refused: still refused after confirming and giving a reason")


def run(base: str, slug: str, token: str) -> dict[str, Any]:
    api = Api(base, slug, token)
    family = api.call(
        "enrolFamily", {"label": "Familien Klient", "enrolment_date": date.today().isoformat()}
    )
    members = [
        api.call("addMember", {"role": role, "name": f"{role} {n}"}, family_id=family["id"])
        for role, n in (("adult", 1), ("adult", 2), ("child", 1), ("child", 2), ("child", 3))
    ]
    forms = {f["form_id"]: f for f in api.call("listForms")}
    waves = api.call("listWaves", family_id=family["id"])
    intake = next(w for w in waves if w["kind"] == "intake")
    follow_up = next(w for w in waves if w["kind"] == "follow_up")
    submitted = 0
    for wave, prefix in ((intake, "intake"), (follow_up, "follow_up")):
        for level, subjects in (
            ("family", [None]),
            ("adult", [m for m in members if m["role"] == "adult"]),
            ("child", [m for m in members if m["role"] == "child"]),
        ):
            summary = forms[f"{level}_{prefix}"]
            form = api.call(
                "getFormVersion", form_id=summary["form_id"], version=summary["version"]
            )
            for member in subjects:
                body = {
                    "form_id": form["form_id"],
                    "status": "submitted",
                    "answers": answers_for(form, level),
                }
                if member is not None:
                    body["member_id"] = member["id"]
                result = submit(api, body, family["id"], wave["id"])
                assert result["status"] == "submitted", result
                submitted += 1
    waves = api.call("listWaves", family_id=family["id"])
    return {
        "family": family["id"],
        "members": len(members),
        "submitted": submitted,
        "intake_status": next(w for w in waves if w["kind"] == "intake")["status"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--municipality", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.base, args.municipality, args.token)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
