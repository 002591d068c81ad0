"""The audit trail reads as sentences: every event the code records has one, in Danish,
and every detail it records is said in words, never as a Python repr or an internal id."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import force_locale

from app.admin.audit_events import EVENTS
from app.admin.audit_sentences import FIELD_LABELS, describe
from app.admin.services import update_settings
from app.core.db import db
from app.tenancy.scoping import tenant_scope
from app.tenancy.settings_spec import tables

#: A value of each kind a detail may hold, as the code records it.
SAMPLES: dict[str, Any] = {
    "role": "staff",
    "old_role": "staff",
    "new_role": "lead",
    "platform_role": "researcher",
    "wave": "follow_up_6",
    "waves": ["intake", "follow_up_6"],
    "form": "family_intake",
    "forms": ["family_intake", "jammerbugt.bip"],
    "created": ["family_intake v2"],
    "replaced": ["jammerbugt.bip v1"],
    "restored": ["family_exit v1"],
    "checks_updated": ["adult_intake v3"],
    "team_model": "family_team",
    "kind": "team_member",
    "status": "submitted",
    "reason": "credentials",
    "via": "api plan",
    "enrolment_date": "2026-05-01",
    "made_at": "2026-05-01T10:00:00+00:00",
    "two_factor": True,
    "changed_fields": ["household_type", "income"],
    "confirmed_checks": [],
    "rows": {"families": 3, "answers": 12},
    "changes": {
        "follow_up": [{"interval_months": 6, "count": 4}, {"interval_months": 3, "count": 4}],
        "local_forms": [[], ["jammerbugt.bip"]],
        "team_model": ["coordinator", "family_team"],
    },
}
FORBIDDEN = ("{'", "['", "%(", "follow_up", "family_intake", "jammerbugt.bip", "None", "True")


def recorded_events(root: Path) -> dict[str, set[str]]:
    """Every action name ``record(...)`` is called with in app/, and the literal keys of
    the details recorded with it (a name assigned just before the call counts too)."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope in ast.walk(tree):
            if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                continue
            assigned: dict[str, list[str]] = {}
            keys_of: dict[str, set[str]] = {}  # details built in a variable first
            for node in ast.walk(scope):
                if not isinstance(node, ast.Assign):
                    continue
                target = node.targets[0]
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and isinstance(target.slice, ast.Constant)
                ):
                    keys_of.setdefault(target.value.id, set()).add(target.slice.value)
                if isinstance(target, ast.Name) and isinstance(node.value, ast.Dict):
                    keys_of.setdefault(target.id, set()).update(
                        k.value for k in node.value.keys if isinstance(k, ast.Constant)
                    )
                if isinstance(target, ast.Name):
                    assigned.setdefault(node.targets[0].id, []).extend(
                        c.value
                        for c in ast.walk(node.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    )
            for node in ast.walk(scope):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record"):
                    continue
                if not node.args:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Name):
                    names = [
                        n
                        for n in assigned.get(first.id, [])
                        if re.fullmatch(r"[a-z_]+\.[a-z_]+", n)
                    ]
                else:  # a literal, or a choice between literals (not what the choice tests)
                    names = list(_choices(first))
                keys: set[str] = set()
                for keyword in node.keywords:
                    if keyword.arg == "details" and isinstance(keyword.value, ast.Name):
                        keys |= keys_of.get(keyword.value.id, set())
                    if keyword.arg == "details":
                        keys |= {
                            k.value
                            for d in ast.walk(keyword.value)
                            if isinstance(d, ast.Dict)
                            for k in d.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)
                        }
                for name in names:
                    found.setdefault(name, set()).update(keys)
    return found


def _choices(node: ast.expr) -> Iterator[str]:
    """The string literals an expression can evaluate to: ``"a" if x == "b" else "c"``
    gives a and c, not b."""
    if isinstance(node, ast.IfExp):
        yield from _choices(node.body)
        yield from _choices(node.orelse)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value


def test_the_scan_finds_the_events_it_must(project_root: Path) -> None:
    found = recorded_events(project_root)
    # One literal, one chosen by a condition, one with details built in a variable.
    assert {"auth.login", "submission.submitted", "submission.saved"} <= set(found)
    assert {"wave.approved", "wave.reopened"} <= set(found)  # record("a" if x else "b")
    assert {"old_role", "new_role"} <= found["membership.role_set"]
    assert {"created", "replaced", "restored"} <= found["forms.published"]
    assert len(found) > 40


def test_every_recorded_event_has_a_sentence_and_every_detail_a_label(
    project_root: Path,
) -> None:
    found = recorded_events(project_root)
    without = sorted(set(found) - set(EVENTS))
    assert not without, f"add a sentence to app/admin/audit_events.py EVENTS: {without}"
    unlabelled = sorted(
        f"{action}: {key}" for action, keys in found.items() for key in keys - set(FIELD_LABELS)
    )
    assert not unlabelled, f"add a label to FIELD_LABELS: {unlabelled}"


def test_every_sentence_reads_in_danish_with_every_detail_in_words(
    app_ctx: Flask, project_root: Path, forms_published: Any
) -> None:
    found = recorded_events(project_root)
    for action, text in EVENTS.items():
        with app_ctx.test_request_context(), force_locale("en"):
            msgid = str(text.sentence)
        keys = found.get(action, set()) | set(re.findall(r"%\((\w+)\)s", msgid))
        details = {k: SAMPLES.get(k, f"værdi-{k}") for k in keys - {"actor", "object"}}
        with app_ctx.test_request_context(), force_locale("da"):
            described = describe(
                action,
                details,
                actor="Mette Jensen",
                object_type="user",
                object_id="7",
                object_name="Lars Hansen",
            )
            danish = " ".join([described.title, described.sentence, *map(" ".join, described.more)])
            with force_locale("en"):
                english = describe(action, details, actor="Mette Jensen").sentence
        where = f"{action}: {danish}"
        assert described.sentence != english, f"no Danish sentence for {action}"
        assert not [bad for bad in FORBIDDEN if bad in danish], where
        assert "_" not in re.sub(r"værdi-\w+", "", danish), where  # no key or code shown
        for key in details:
            value = details[key]
            if isinstance(value, str) and value.startswith("værdi-"):
                assert value in danish, f"{action} drops the detail {key}"


def test_a_role_change_reads_as_the_issue_asks(app_ctx: Flask) -> None:
    with app_ctx.test_request_context(), force_locale("da"):
        described = describe(
            "membership.role_set",
            {"old_role": "staff", "new_role": "lead"},
            actor="Mette Jensen",
            object_type="user",
            object_id="3",
            object_name="Lars Hansen",
        )
    assert described.sentence == (
        "Mette Jensen ændrede rollen for Lars Hansen fra medarbejder til leder."
    )
    assert described.more == []


def test_a_settings_change_names_settings_and_forms_by_their_titles(
    app_ctx: Flask, client: Any, auth: Any, municipalities: Any, make_user: Any
) -> None:
    jammerbugt = municipalities["jammerbugt"]
    admin = make_user(jammerbugt, "admin")
    with app_ctx.test_request_context(), tenant_scope(jammerbugt, admin.id):
        current = tables(jammerbugt.settings)
        current["follow_up"]["interval_months"] = 3
        update_settings(jammerbugt, jammerbugt.team_model, current, [])
        db.session.commit()
    auth.login(admin.email)
    html = client.get("/jammerbugt/admin/audit/").get_data(as_text=True)
    row = re.search(r'<td class="audit-sentence">(.*?)</td>', html, re.S)
    assert row is not None
    text = re.sub(r"<[^>]+>", "", row.group(1))
    assert "Indstillinger ændret." in text
    assert "Måneder mellem opfølgninger fra 6 til 3" in text
    assert "lokale skemaer fra" in text and "jammerbugt.bip" not in text
    assert "{" not in text and "[" not in text


def test_the_csv_keeps_details_as_json_never_as_reprs(
    app_ctx: Flask, client: Any, auth: Any, municipalities: Any, make_user: Any
) -> None:
    jammerbugt = municipalities["jammerbugt"]
    admin = make_user(jammerbugt, "admin")
    with app_ctx.test_request_context(), tenant_scope(jammerbugt, admin.id):
        current = tables(jammerbugt.settings)
        current["access"]["external_contacts"] = not current["access"]["external_contacts"]
        update_settings(jammerbugt, jammerbugt.team_model, current, [])
        db.session.commit()
    auth.login(admin.email)
    download = client.get("/jammerbugt/admin/audit/audit.csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    changed = [r for r in rows if r["action"] == "municipality.settings_changed"]
    assert changed
    for row in rows:
        details = json.loads(row["details"])
        assert isinstance(details, dict)
        assert "{'" not in row["details"] and "['" not in row["details"]
    assert "access" in json.loads(changed[0]["details"])["changes"]
