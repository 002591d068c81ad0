"""Municipalities as configuration files: check, idempotent sync, clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.core.db import db
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope, unscoped

SEEDS = {
    "brondby": ("0153", "coordinator"),
    "jammerbugt": ("0849", "family_team"),
    "vejle": ("0630", "single_entry"),
    "assens": ("0420", "family_team"),
    "rodovre": ("0175", "single_entry"),
}


@pytest.fixture
def config_dir(tmp_path: Path, project_root: Path) -> Path:
    target = tmp_path / "municipalities"
    shutil.copytree(project_root / "municipalities", target)
    return target


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["municipalities", *args])


def snapshot() -> list[tuple]:
    with unscoped("test snapshot"):
        rows = [
            (m.slug, m.code, m.team_model, m.programme_name, repr(sorted(m.settings.items())))
            for m in db.session.scalars(select(Municipality).order_by(Municipality.slug))
        ]
        rows += [
            (d.municipality_id, d.code, d.name_da, d.active)
            for d in db.session.scalars(select(Department).order_by(Department.id))
        ]
    db.session.rollback()
    return rows


def test_the_repository_files_pass_the_check(app_ctx: Flask) -> None:
    result = run(app_ctx, "check")
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == 5


def test_sync_only_loads_the_municipalities_named(app_ctx: Flask, config_dir: Path) -> None:
    unknown = run(app_ctx, "sync", "--dir", str(config_dir), "--only", "nowhere")
    assert unknown.exit_code == 1 and "nowhere" in unknown.output
    assert db.session.scalars(select(Municipality)).all() == []
    done = run(app_ctx, "sync", "--dir", str(config_dir), "--only", "vejle", "--only", "assens")
    assert done.exit_code == 0, done.output
    assert "2 of 2 municipalities changed" in done.output
    assert {m.slug for m in db.session.scalars(select(Municipality))} == {"vejle", "assens"}


def test_sync_creates_the_five_seed_municipalities_and_is_idempotent(
    app_ctx: Flask, config_dir: Path
) -> None:
    first = run(app_ctx, "sync", "--dir", str(config_dir))
    assert first.exit_code == 0, first.output
    assert "5 of 5 municipalities changed" in first.output
    stored = {m.slug: (m.code, m.team_model) for m in db.session.scalars(select(Municipality))}
    assert stored == SEEDS
    vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
    assert vejle.settings["joint_plan"] == {"phases": 3, "phase_months": 6}
    assert vejle.settings["follow_up"] == {"interval_months": 6, "window_days": 30, "count": 3}
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    assert jammerbugt.settings["access"]["external_contacts"] is True
    assert jammerbugt.settings["local_forms"] == ["jammerbugt.bip"]
    with tenant_scope(vejle):
        assert {d.code for d in db.session.scalars(select(Department))} == {
            "employment",
            "family_counselling",
        }

    second = run(app_ctx, "sync", "--dir", str(config_dir))
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "no changes (5 municipalities up to date)"


def test_a_changed_team_model_is_reported_and_applied(app_ctx: Flask, config_dir: Path) -> None:
    assert run(app_ctx, "sync", "--dir", str(config_dir)).exit_code == 0
    path = config_dir / "assens.toml"
    path.write_text(
        path.read_text().replace('team_model = "family_team"', 'team_model = "single_entry"')
    )
    result = run(app_ctx, "sync", "--dir", str(config_dir))
    assert result.exit_code == 0, result.output
    assert "assens: team_model: 'family_team' -> 'single_entry'" in result.output
    assert "1 of 5 municipalities changed" in result.output
    db.session.expire_all()
    assens = db.session.scalar(select(Municipality).filter_by(slug="assens"))
    assert assens.team_model == "single_entry"


def test_a_removed_department_is_closed_not_deleted(app_ctx: Flask, config_dir: Path) -> None:
    assert run(app_ctx, "sync", "--dir", str(config_dir)).exit_code == 0
    path = config_dir / "vejle.toml"
    text = path.read_text()
    path.write_text(text[: text.index('[[departments]]\ncode = "family_counselling"')])
    result = run(app_ctx, "sync", "--dir", str(config_dir))
    assert "vejle: department family_counselling: 'active' -> 'closed'" in result.output
    vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
    with tenant_scope(vejle):
        closed = db.session.scalar(select(Department).filter_by(code="family_counselling"))
        assert closed is not None and closed.active is False


BROKEN = {
    "target of no indicator": (
        lambda text: text + '\n[[targets]]\nindicator = "happiness"\nat_least = 10\n',
        "municipalities/assens.toml: targets[0].indicator: 'happiness' is not an indicator",
    ),
    "target with both bounds": (
        lambda text: (
            text + '\n[[targets]]\nindicator = "families_enrolled"\nat_least = 1\nat_most = 9\n'
        ),
        "municipalities/assens.toml: targets[0]: give one of at_least or at_most",
    ),
    "target of zero": (
        lambda text: text + '\n[[targets]]\nindicator = "families_enrolled"\nat_least = 0\n',
        "municipalities/assens.toml: targets[0].at_least: 0 is not a number above 0",
    ),
    "target date quoted": (
        lambda text: (
            text + '\n[[targets]]\nindicator = "families_enrolled"\nat_least = 5\nby = "2027"\n'
        ),
        "municipalities/assens.toml: targets[0].by: '2027' is not a date",
    ),
    "accessibility contact not an address": (
        lambda text: text + '\n[accessibility]\ncontact = "ring til os"\n',
        "municipalities/assens.toml: accessibility.contact: 'ring til os' is not an e-mail",
    ),
    "unknown accessibility key": (
        lambda text: text + '\n[accessibility]\ncontact = "a@b.dk"\nphone = "1"\n',
        "municipalities/assens.toml: accessibility.phone: unknown key",
    ),
    "bad TOML": (
        lambda text: text.replace('slug = "assens"', 'slug = "assens'),
        "municipalities/assens.toml: -: not valid TOML",
    ),
    "unknown team model": (
        lambda text: text.replace('team_model = "family_team"', 'team_model = "hub"'),
        "municipalities/assens.toml: team_model: unknown team model 'hub'",
    ),
    "missing code": (
        lambda text: text.replace('code = "0420"\n', ""),
        "municipalities/assens.toml: code: missing",
    ),
    "code not 4 digits": (
        lambda text: text.replace('code = "0420"', 'code = "420"'),
        "municipalities/assens.toml: code: '420' is not a 4-digit",
    ),
    "slug differs from file name": (
        lambda text: text.replace('slug = "assens"', 'slug = "odense"'),
        "municipalities/assens.toml: slug: 'odense' does not match the file name 'assens'",
    ),
    "unknown key": (
        lambda text: "team_modle = 1\n" + text,
        "municipalities/assens.toml: team_modle: unknown key",
    ),
    "bad follow-up interval": (
        lambda text: text.replace("interval_months = 6", "interval_months = true"),
        "municipalities/assens.toml: follow_up.interval_months: True is not allowed",
    ),
    "local form of another municipality": (
        lambda text: text + '\n[forms]\nlocal = ["vejle.bip"]\n',
        "municipalities/assens.toml: forms.local: 'vejle.bip' is not a local form",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_file_exits_non_zero_naming_file_and_key_and_changes_nothing(
    app_ctx: Flask, config_dir: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(app_ctx, "sync", "--dir", str(config_dir)).exit_code == 0
    # A valid change elsewhere in the same run must not be applied either.
    brondby = config_dir / "brondby.toml"
    brondby.write_text(brondby.read_text().replace("window_days = 30", "window_days = 45"))
    before = snapshot()

    change, message = BROKEN[case]
    path = config_dir / "assens.toml"
    path.write_text(change(path.read_text()))
    monkeypatch.chdir(config_dir.parent)
    for command in ("check", "sync"):
        result = run(app_ctx, command, "--dir", str(config_dir))
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert snapshot() == before


def test_duplicate_codes_across_files_are_refused(
    app_ctx: Flask, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_dir / "assens.toml"
    path.write_text(path.read_text().replace('code = "0420"', 'code = "0153"'))
    monkeypatch.chdir(config_dir.parent)
    result = run(app_ctx, "check", "--dir", str(config_dir))
    assert result.exit_code != 0
    assert "brondby.toml: code: '0153' is also used by municipalities/assens.toml" in result.output


def test_a_local_form_without_a_definition_is_refused(
    app_ctx: Flask, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_dir / "jammerbugt.toml"
    path.write_text(
        path.read_text().replace(
            'local = ["jammerbugt.bip"]', 'local = ["jammerbugt.bip", "jammerbugt.sdq"]'
        )
    )
    monkeypatch.chdir(config_dir.parent)
    result = run(app_ctx, "check", "--dir", str(config_dir))
    assert result.exit_code != 0
    assert "jammerbugt.toml: forms.local: 'jammerbugt.sdq' has no definition" in result.output
