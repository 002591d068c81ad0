"""The database before and after each fuzzed request: refused means unchanged, accepted
means whole (its audit event committed with it, and the invariants the pages rely on)."""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import String, select
from werkzeug.datastructures import MultiDict

from app.auth.models import MEMBERSHIP_ROLES
from app.core.db import db
from app.definitions.model import FormDef
from app.definitions.validation import validate_answers
from app.plans.models import LIFE_AREAS
from tests.support.apps import owner_engine
from tests.support.fuzz_values import FILE_PART, Body

#: Audit events a refused request may still leave: the trail of reads and of refusals.
READ_AND_REFUSAL_EVENTS = frozenset(
    {
        "family.viewed",
        "submission.viewed",
        "report.viewed",
        "tenant.unscoped_access",
        "submission.conflict",
        "auth.login_failed",
        "auth.two_factor_failed",
        "auth.session_expired",
    }
)
#: Changes written without an audit event of their own, by design: a job row is audited
#: when the job runs; a one-time form token or an idempotency key only remembers that a
#: send was made (the row it made is audited); and these columns record use, not a
#: change anyone made.
UNAUDITED_TABLES = frozenset({"report_job", "export_job", "form_token", "idempotency_key"})
UNAUDITED_COLUMNS = {
    "user_account": ("language", "last_login_at", "totp_last_step"),
    "api_token": ("last_used_at",),
}


# -- the database before and after ------------------------------------------------------------


@dataclass
class Snapshot:
    tables: dict[str, list[dict[str, Any]]]
    problems: list[str] | None = None

    @property
    def audit(self) -> dict[int, dict[str, Any]]:
        return {row["id"]: row for row in self.tables["audit_event"]}


def take_snapshot() -> Snapshot:
    # Core statements on a connection of their own, as the tables' owner: every
    # municipality's rows as stored, not what row-level security lets a request see.
    tables: dict[str, list[dict[str, Any]]] = {}
    with owner_engine(current_app).connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            tables[table.name] = [
                dict(row._mapping) for row in connection.execute(select(table).order_by(*order))
            ]
    return Snapshot(tables)


def changed_tables(before: Snapshot, after: Snapshot, *, audited_only: bool = False) -> list[str]:
    changed = []
    for name, rows in after.tables.items():
        if name == "audit_event" or (audited_only and name in UNAUDITED_TABLES):
            continue
        old = before.tables[name]
        if audited_only and name in UNAUDITED_COLUMNS:
            skip = UNAUDITED_COLUMNS[name]
            rows = [{k: v for k, v in row.items() if k not in skip} for row in rows]
            old = [{k: v for k, v in row.items() if k not in skip} for row in old]
        if rows != old:
            changed.append(name)
    return changed


def new_audit_actions(before: Snapshot, after: Snapshot) -> list[str]:
    old, new = before.audit, after.audit
    rewritten = [i for i, row in old.items() if new.get(i) != row]
    assert not rewritten, f"audit events changed or removed: {rewritten}"
    return sorted(row["action"] for i, row in new.items() if i not in old)


_FORMS: dict[tuple[int, str], FormDef] = {}


def _form_def(version: dict[str, Any]) -> FormDef:
    key = (version["id"], version["content_hash"])
    if key not in _FORMS:
        _FORMS[key] = FormDef.from_dict(version["definition"])
    return _FORMS[key]


def integrity_problems(snapshot: Snapshot) -> list[str]:
    """What no accepted write may leave behind, checked on the rows as stored."""
    if snapshot.problems is None:
        # Validation messages are translated: they need a request for the locale.
        with current_app.test_request_context():
            snapshot.problems = _problems(snapshot.tables)
    return snapshot.problems


def _problems(t: dict[str, list[dict[str, Any]]]) -> list[str]:
    problems: list[str] = []
    # Values PostgreSQL refuses but SQLite stores: over-long strings and NUL characters.
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            limit = column.type.length if type(column.type) is String else None
            for row in t[table.name]:
                value = row[column.name]
                if isinstance(value, str) and (
                    "\x00" in value or (limit is not None and len(value) > limit)
                ):
                    where = f"{table.name}.{column.name} of row {row.get('id')}"
                    problems.append(f"{where} does not fit PostgreSQL: {value!r:.80}")
    families = {row["id"]: row for row in t["family"]}
    waves = {row["id"]: row for row in t["wave"]}
    members = {row["id"]: row for row in t["family_member"]}
    plans = {row["id"]: row for row in t["plan"]}
    plans_of: Counter[int] = Counter(row["family_id"] for row in t["plan"])
    kinds_of: dict[int, set[str]] = defaultdict(set)
    for wave in waves.values():
        kinds_of[wave["family_id"]].add(wave["kind"])
        if not wave["window_start"] <= wave["due_date"] <= wave["window_end"]:
            problems.append(f"wave {wave['id']} is due outside its window")
        if wave["family_id"] not in families:
            problems.append(f"wave {wave['id']} belongs to no family")
    for family in families.values():
        if plans_of[family["id"]] != 1:
            problems.append(f"family {family['id']} has {plans_of[family['id']]} plans")
        if "intake" not in kinds_of[family["id"]]:
            problems.append(f"family {family['id']} has no intake wave")
        if family["status"] == "exited" and family["exit_date"] is None:
            problems.append(f"family {family['id']} exited without an exit date")
    for member in members.values():
        family = families.get(member["family_id"])
        if family is None or member["start_date"] < family["enrolment_date"]:
            problems.append(f"member {member['id']} joined before its family was enrolled")
        if member["end_date"] is not None and member["end_date"] < member["start_date"]:
            problems.append(f"member {member['id']} left before joining")
        if member["cpr"] is not None and not re.fullmatch(r"[0-9]{6}-[0-9]{4}", member["cpr"]):
            problems.append(f"member {member['id']} has CPR number {member['cpr']!r}")
    problems += _submission_problems(t, waves, members)
    admins: Counter[int] = Counter()
    memberships = set()
    for membership in t["membership"]:
        admins[membership["municipality_id"]] += membership["role"] == "admin"
        memberships.add((membership["user_id"], membership["municipality_id"]))
        if membership["role"] not in MEMBERSHIP_ROLES:
            problems.append(f"membership {membership['id']} has role {membership['role']!r}")
    problems += [f"municipality {m} has no administrator" for m, n in admins.items() if not n]
    for assignment in t["assignment"]:
        if assignment["active"] and (
            (assignment["user_id"], assignment["municipality_id"]) not in memberships
        ):
            problems.append(f"assignment {assignment['id']} is of someone without a role here")
    goals = {row["id"]: row for row in t["plan_goal"]}
    for goal in goals.values():
        plan = plans.get(goal["plan_id"])
        if plan is None or not 1 <= goal["phase"] <= plan["phases"]:
            problems.append(f"goal {goal['id']} is outside its plan's phases")
        if goal["life_area"] not in LIFE_AREAS:
            problems.append(f"goal {goal['id']} has life area {goal['life_area']!r}")
    for status in t["plan_goal_status"]:
        goal = goals.get(status["goal_id"])
        wave = waves.get(status["wave_id"])
        plan = plans.get(goal["plan_id"]) if goal else None
        if (
            wave is None
            or plan is None
            or wave["family_id"] != plan["family_id"]
            or wave["kind"] == "intake"
        ):
            problems.append(f"goal status {status['id']} is not at a follow-up of its family")
    return problems


def _submission_problems(
    t: dict[str, list[dict[str, Any]]],
    waves: dict[int, dict[str, Any]],
    members: dict[int, dict[str, Any]],
) -> list[str]:
    """A submission is in a wave of its family and holds answers its form accepts: typed as
    validation stores them, and complete once submitted (the indicators count it)."""
    problems = []
    versions = {row["id"]: row for row in t["form_version"]}
    for submission in t["submission"]:
        name = f"submission {submission['id']} ({submission['status']})"
        wave = waves.get(submission["wave_id"])
        if wave is None or wave["family_id"] != submission["family_id"]:
            problems.append(f"{name} is not in a wave of its family")
        if submission["member_id"] is not None:
            member = members.get(submission["member_id"])
            if member is None or member["family_id"] != submission["family_id"]:
                problems.append(f"{name} is about someone outside the family")
        if submission["status"] == "submitted" and submission["submitted_at"] is None:
            problems.append(f"{name} is submitted without a time")
        form = _form_def(versions[submission["form_version_id"]])
        inputs = {f.name for f in form.fields if f.kind.input}
        answers = {k: v for k, v in submission["answers"].items() if k in inputs}
        result = validate_answers(
            form,
            answers,
            complete=submission["status"] == "submitted",
            today=date.today(),
            previous=answers,
        )
        kept = {k: v for k, v in result.answers.items() if k in inputs}
        if result.errors or kept != answers:
            refused = result.errors or "answers stored otherwise than validation makes them"
            problems.append(f"{name} holds answers its form refuses: {refused}")
    return problems


# -- one request, checked ------------------------------------------------------------------------

_ERROR_MARKS = ('class="field-error"', 'class="error-summary"', 'class="message message-error"')


class WriteChecker:
    """Sends requests and checks each against the database: refused means unchanged,
    accepted means whole."""

    def __init__(self, client: FlaskClient, *, pages: bool = True) -> None:
        self.client = client
        #: Pages may refuse with a 200 (the form again, with errors) or a redirect with an
        #: error message; the API refuses with 4xx only.
        self.pages = pages
        self.before = take_snapshot()
        self.statuses: Counter[int] = Counter()
        self.last_changed = False

    def open(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.open(url, method=method, **kwargs)
        body = response.get_data().decode("utf-8", "replace")
        response.close()
        status = response.status_code
        self.statuses[status] += 1
        where = f"{method} {url} answered {status}"
        assert status < 500, f"{where}:\n{body[:2000]}"
        before, after = self.before, take_snapshot()
        # The next request starts from here, whatever this one's verdict.
        self.before = after
        refused = status >= 400 or (self.pages and self.refusal_shown(response, body))
        events = new_audit_actions(before, after)
        changed = changed_tables(before, after)
        self.last_changed = bool(changed)
        if refused:
            assert not changed, f"{where}, refused, yet wrote to {changed}"
            unexpected = sorted(set(events) - READ_AND_REFUSAL_EVENTS)
            assert not unexpected, f"{where}, refused, yet audited {unexpected}"
        elif changed:
            writes = set(events) - READ_AND_REFUSAL_EVENTS
            audited = changed_tables(before, after, audited_only=True)
            assert writes or not audited, f"{where} changed {audited} without an audit event"
            # Only what this request broke: an earlier example's damage was its own failure.
            problems = sorted(set(integrity_problems(after)) - set(integrity_problems(before)))
            assert not problems, f"{where} left:\n" + "\n".join(problems)
        return response

    def refusal_shown(self, response: Any, body: str) -> bool:
        """A form shown again with its errors, or a redirect with an error message."""
        with self.client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        shown = response.mimetype == "text/html" and any(mark in body for mark in _ERROR_MARKS)
        return shown or any(category == "error" for category, _ in flashes)

    def reached_the_view(self) -> bool:
        """Not every answer was a refusal at the door (login, tenant, role, method)."""
        return any(status not in (401, 403, 404, 405) for status in self.statuses)


def send(checker: WriteChecker, url: str, body: Body) -> Any:
    if isinstance(body, tuple):
        raw, content_type = body
        return checker.open("POST", url, data=raw, content_type=content_type)
    if any(value is FILE_PART for _, value in body.items(multi=True)):
        uploads = [
            (name, (io.BytesIO(b"not text"), "a.txt") if value is FILE_PART else value)
            for name, value in body.items(multi=True)
        ]
        return checker.open(
            "POST", url, data=MultiDict(uploads), content_type="multipart/form-data"
        )
    return checker.open("POST", url, data=body)
