"""SETTINGS_SPEC is the one source of the municipality settings.

Every test loops over every key of the spec, so a key added there is checked in the file
check, export and sync, the admin page, the API document and the defaults without a
line here.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from app.api.schema import document
from app.api.tokens import create_token
from app.audit.models import AuditEvent
from app.core.db import db
from app.families.services import enrol_family
from app.plans.models import Plan
from app.privacy.services import retention_months
from app.tenancy.config_files import ConfigFileError, parse
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope, unscoped
from app.tenancy.settings_spec import SETTINGS_SPEC, TABLES, Setting, defaults, markdown_table

SPEC_IDS = [s.name for s in SETTINGS_SPEC]
NUMBERS = [s for s in SETTINGS_SPEC if not s.is_switch]


def values_to_try(spec: Setting) -> list[int | bool]:
    """Each boundary, and one value inside the bounds that is not the default."""
    if spec.is_switch:
        return [not spec.default, spec.default]
    assert spec.minimum is not None and spec.maximum is not None
    inside = spec.default + 1 if spec.default < spec.maximum else spec.default - 1
    return [spec.minimum, spec.maximum, inside]


def outside(spec: Setting) -> list[Any]:
    """Values the spec refuses: just past each bound, and the wrong TOML type."""
    if spec.is_switch:
        return [1, 0, "true"]
    assert spec.minimum is not None and spec.maximum is not None
    return [spec.minimum - 1, spec.maximum + 1, True, str(spec.default), float(spec.default)]


def set_setting(municipality: Municipality, spec: Setting, value: Any) -> None:
    settings = {**municipality.settings}
    settings[spec.table] = {**settings.get(spec.table, {}), spec.key: value}
    municipality.settings = settings
    db.session.commit()


def minimal_file(**tables: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "0727",
        "slug": "odder",
        "name_da": "Odder Kommune",
        "name_en": "Odder Municipality",
        "programme": "Hele familien",
        "team_model": "coordinator",
        "departments": [{"code": "family", "name_da": "Familie", "name_en": "Family"}],
        **tables,
    }


def stored() -> list[tuple[Any, ...]]:
    """The whole stored state that a sync may change: every municipality and department."""
    db.session.rollback()
    with unscoped("test: compare stored settings"):
        rows: list[tuple[Any, ...]] = [
            (m.slug, m.code, m.name_da, m.name_en, m.programme_name, m.team_model, m.settings)
            for m in db.session.scalars(select(Municipality).order_by(Municipality.slug))
        ]
        rows += [
            (d.municipality_id, d.code, d.name_da, d.name_en, d.active)
            for d in db.session.scalars(select(Department).order_by(Department.id))
        ]
    db.session.rollback()
    return rows


def settings_audit() -> list[AuditEvent]:
    db.session.rollback()
    with unscoped("test: read the audit trail"):
        return list(
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action.in_(["municipality.settings_changed", "municipality.updated"])
                )
            )
        )


# -- the file: check, export, sync ---------------------------------------------------------


def test_the_file_check_takes_each_boundary_and_refuses_each_value_outside() -> None:
    for spec in SETTINGS_SPEC:
        for value in values_to_try(spec):
            config = parse(
                minimal_file(**{spec.table: {spec.key: value}}),
                source="odder.toml",
                expected_slug=None,
            )
            assert config.settings[spec.table][spec.key] == value
            assert type(config.settings[spec.table][spec.key]) is spec.kind
        for value in outside(spec):
            with pytest.raises(ConfigFileError) as refused:
                parse(
                    minimal_file(**{spec.table: {spec.key: value}}),
                    source="odder.toml",
                    expected_slug=None,
                )
            assert [(p.key, p.reason) for p in refused.value.problems] == [
                (spec.name, f"{value!r} is not allowed; expected {spec.allowed()}")
            ], value


def test_a_file_without_the_optional_tables_gets_the_specs_defaults() -> None:
    config = parse(minimal_file(), source="odder.toml", expected_slug=None)
    assert {t: config.settings[t] for t in TABLES} == defaults()
    for spec in SETTINGS_SPEC:
        assert config.settings[spec.table][spec.key] == spec.default


def test_an_unknown_key_in_a_settings_table_is_refused() -> None:
    for table in TABLES:
        with pytest.raises(ConfigFileError) as refused:
            parse(minimal_file(**{table: {"colour": 1}}), source="odder.toml", expected_slug=None)
        assert [(p.key, p.reason) for p in refused.value.problems] == [
            (f"{table}.colour", "unknown key")
        ]


@pytest.mark.parametrize("spec", SETTINGS_SPEC, ids=SPEC_IDS)
def test_export_then_sync_changes_nothing(
    app_ctx: Flask,
    municipalities: dict[str, Municipality],
    project_root: Path,
    tmp_path: Path,
    spec: Setting,
) -> None:
    folder = tmp_path / "municipalities"
    shutil.copytree(project_root / "municipalities", folder)
    runner = app_ctx.test_cli_runner()
    for value in values_to_try(spec):
        vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
        set_setting(vejle, spec, value)
        before = stored()
        audited = len(settings_audit())

        exported = runner.invoke(
            args=["municipalities", "export", "vejle", "--out", str(folder / "vejle.toml")]
        )
        assert exported.exit_code == 0, exported.output
        data = tomllib.loads((folder / "vejle.toml").read_text(encoding="utf-8"))
        assert data[spec.table][spec.key] == value
        assert {t: set(data[t]) for t in TABLES} == {
            t: {s.key for s in SETTINGS_SPEC if s.table == t} for t in TABLES
        }

        synced = runner.invoke(args=["municipalities", "sync", "--dir", str(folder)])
        assert synced.exit_code == 0, synced.output
        assert synced.output.strip() == "no changes (5 municipalities up to date)", value
        assert stored() == before, value
        assert len(settings_audit()) == audited


# -- the admin page ------------------------------------------------------------------------


def page_data(municipality: Municipality, **changed: Any) -> dict[str, str]:
    """What the page posts when nothing but *changed* is touched."""
    data = {"team_model": municipality.team_model}
    for spec in SETTINGS_SPEC:
        value = changed.get(spec.key, municipality.settings[spec.table][spec.key])
        if spec.is_switch:
            if value:
                data[spec.key] = "y"
        else:
            data[spec.key] = str(value)
    return data


def inputs(html: str) -> dict[str, str]:
    """Each setting input of the settings form, by name, as its tag."""
    form = re.search(r'<form [^>]*action="/[a-z-]+/admin/settings".*?</form>', html, re.S)
    assert form is not None
    tags = re.findall(r"<input [^>]*>", form.group(0))
    named = {re.search(r'name="([^"]+)"', t).group(1): t for t in tags if 'name="' in t}
    return {k: v for k, v in named.items() if k not in {"csrf_token", "local_forms"}}


def test_the_settings_page_offers_exactly_the_specs_keys_with_their_bounds(
    app_ctx: Flask, client: Any, auth: Any, municipalities: dict[str, Municipality], make_user: Any
) -> None:
    auth.login(make_user(municipalities["vejle"], "admin").email)
    html = client.get("/vejle/admin/settings").get_data(as_text=True)
    fields = inputs(html)
    assert set(fields) == {s.key for s in SETTINGS_SPEC}
    texts = [*TABLES.values(), *(s.label for s in SETTINGS_SPEC), *(s.help for s in SETTINGS_SPEC)]
    for text in (t for t in texts if t is not None):
        with force_locale("en"):
            english = str(text)
        with force_locale("da"):
            assert str(text) != english, f"no Danish for {english!r}"
    with force_locale("da"):
        for heading in TABLES.values():
            assert f"<legend>{heading}</legend>" in html
        for spec in SETTINGS_SPEC:
            tag = fields[spec.key]
            assert f'<label for="{spec.key}">{spec.label}' in html
            if spec.help:
                assert str(spec.help) in html
            if spec.is_switch:
                assert 'type="checkbox"' in tag
                continue
            assert 'type="number"' in tag
            assert f'min="{spec.minimum}"' in tag and f'max="{spec.maximum}"' in tag


def test_each_boundary_is_saved_from_the_page(
    client: Any, auth: Any, municipalities: dict[str, Municipality], make_user: Any
) -> None:
    auth.login(make_user(municipalities["vejle"], "admin").email)
    for spec in SETTINGS_SPEC:
        for value in values_to_try(spec):
            vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
            saved = client.post("/vejle/admin/settings", data=page_data(vejle, **{spec.key: value}))
            assert saved.status_code == 302, (spec.name, value)
            db.session.rollback()
            vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
            assert vejle.settings[spec.table][spec.key] == value, (spec.name, value)
            assert type(vejle.settings[spec.table][spec.key]) is spec.kind


def test_a_number_outside_its_bounds_is_refused_in_danish_and_kept_as_typed(
    client: Any, auth: Any, municipalities: dict[str, Municipality], make_user: Any
) -> None:
    auth.login(make_user(municipalities["vejle"], "admin").email)
    vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
    before = stored()
    for spec in NUMBERS:
        bounds = f"Skriv et helt tal fra {spec.minimum} til {spec.maximum}."
        for typed, message in (
            (str(spec.minimum - 1), bounds),
            (str(spec.maximum + 1), bounds),
            ("", "Skriv et helt tal."),
            ("seks", "Skriv et helt tal."),
            ("2.5", "Skriv et helt tal."),
        ):
            page = client.post("/vejle/admin/settings", data=page_data(vejle, **{spec.key: typed}))
            html = page.get_data(as_text=True)
            assert page.status_code == 200, (spec.name, typed)
            error = re.search(rf'<p class="field-error" id="{spec.key}-error">([^<]*)</p>', html)
            assert error is not None and error.group(1) == message, (spec.name, typed)
            assert html.count('class="field-error"') == 1, (spec.name, typed)
            assert f'value="{typed}"' in inputs(html)[spec.key], (spec.name, typed)
    assert stored() == before
    assert settings_audit() == []


# -- the API ---------------------------------------------------------------------------------


def test_the_api_document_lists_exactly_the_specs_keys_with_types_and_bounds() -> None:
    schema = document()["components"]["schemas"]["Settings"]
    assert set(TABLES) <= set(schema["required"])
    for table in TABLES:
        part = schema["properties"][table]
        keys = [s for s in SETTINGS_SPEC if s.table == table]
        assert set(part["properties"]) == {s.key for s in keys}
        assert set(part["required"]) == {s.key for s in keys}
        for spec in keys:
            described = part["properties"][spec.key]
            if spec.is_switch:
                assert described == {"type": "boolean"}
            else:
                assert described == {
                    "type": "integer",
                    "minimum": spec.minimum,
                    "maximum": spec.maximum,
                }


def test_the_api_gives_every_setting_as_stored_and_as_the_document_says(
    app_ctx: Flask, municipalities: dict[str, Municipality], make_user: Any
) -> None:
    vejle = municipalities["vejle"]
    for spec in SETTINGS_SPEC:
        set_setting(vejle, spec, values_to_try(spec)[0])
    user = make_user(vejle, "staff")
    with tenant_scope(vejle, user.id):
        _, token = create_token(user, vejle, "test", 30)
        db.session.commit()
    doc = document()
    response = app_ctx.test_client().get(
        "/api/v1/vejle/settings", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.json
    for spec in SETTINGS_SPEC:
        assert body[spec.table][spec.key] == values_to_try(spec)[0], spec.name
    jsonschema.validate(
        body, {**doc["components"]["schemas"]["Settings"], "components": doc["components"]}
    )


# -- defaults --------------------------------------------------------------------------------


def test_a_municipality_with_no_stored_settings_works_by_the_specs_defaults(
    app_ctx: Flask,
    client: Any,
    auth: Any,
    municipalities: dict[str, Municipality],
    make_user: Any,
    forms_published: Any,
) -> None:
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    brondby.settings = {"local_forms": []}
    db.session.commit()
    expected = defaults()

    assert retention_months(brondby) == expected["privacy"]["retention_months"]
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Standard", date(2026, 1, 31))
        db.session.flush()
        follow_up = expected["follow_up"]
        follow_ups = [w for w in family.waves if w.kind == "follow_up"]
        assert len(follow_ups) == follow_up["count"]
        assert [w.month for w in follow_ups] == [
            k * follow_up["interval_months"] for k in range(1, follow_up["count"] + 1)
        ]
        first = follow_ups[0]
        assert (first.window_end - first.due_date).days == follow_up["window_days"]
        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
        assert plan is not None
        assert (plan.phases, plan.phase_months) == (
            expected["joint_plan"]["phases"],
            expected["joint_plan"]["phase_months"],
        )
        db.session.rollback()

    auth.login(admin.email)
    fields = inputs(client.get("/brondby/admin/settings").get_data(as_text=True))
    for spec in SETTINGS_SPEC:
        if spec.is_switch:
            assert ("checked" in fields[spec.key]) is spec.default, spec.name
        else:
            assert f'value="{spec.default}"' in fields[spec.key], spec.name


def test_no_code_writes_its_own_default_for_a_setting(project_root: Path) -> None:
    """A default written beside a read (``.get("count", 4)``) is a second copy of the spec."""
    keys = "|".join(re.escape(s.key) for s in SETTINGS_SPEC)
    own_default = re.compile(rf"""\.get\(\s*["'](?:{keys})["']\s*,""")
    spec_module = project_root / "app" / "tenancy" / "settings_spec.py"
    found = [
        f"{path.relative_to(project_root)}:{number}: {line.strip()}"
        for path in sorted((project_root / "app").rglob("*.py"))
        if path != spec_module
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if own_default.search(line)
    ]
    assert found == [], "read settings with settings_spec.setting_value:\n" + "\n".join(found)


# -- the documentation -----------------------------------------------------------------------


def test_the_file_format_document_has_the_specs_table_and_a_valid_example(
    app_ctx: Flask, project_root: Path
) -> None:
    text = (project_root / "docs" / "municipalities.md").read_text(encoding="utf-8")
    printed = app_ctx.test_cli_runner().invoke(args=["municipalities", "settings"])
    assert printed.exit_code == 0 and printed.output == markdown_table()
    assert markdown_table() in text, (
        "docs/municipalities.md is behind SETTINGS_SPEC; replace its table with the output "
        "of `flask municipalities settings`:\n" + markdown_table()
    )
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example is not None
    config = parse(tomllib.loads(example.group(1)), source="example", expected_slug=None)
    assert set(TABLES) <= set(tomllib.loads(example.group(1)))
    assert config.slug == "vejle"
