"""A municipality's ``[sso]`` table: checked like the rest of its file, round-tripped by
export and sync, and its client secret read from the environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from app.config import load_config
from app.core.db import db
from app.tenancy.sso_settings import secret_variable

SSO_TABLE = """
[sso]
issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
client_id = "11111111-2222-3333-4444-555555555555"
email_claim = "preferred_username"
default_role = "staff"
password_login = false
mfa_amr = ["mfa"]
"""


@pytest.fixture
def config_dir(tmp_path: Path, project_root: Path) -> Path:
    target = tmp_path / "municipalities"
    shutil.copytree(project_root / "municipalities", target)
    return target


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["municipalities", *args])


def test_an_sso_table_is_synced_exported_and_synced_again_without_change(
    app_ctx: Flask, config_dir: Path, tmp_path: Path
) -> None:
    assens = config_dir / "assens.toml"
    assens.write_text(assens.read_text() + SSO_TABLE)
    first = run(app_ctx, "sync", "--dir", str(config_dir))
    assert first.exit_code == 0, first.output
    exported = tmp_path / "exported"
    exported.mkdir()
    for path in config_dir.glob("*.toml"):
        out = exported / path.name
        assert run(app_ctx, "export", path.stem, "--out", str(out)).exit_code == 0
    text = (exported / "assens.toml").read_text()
    assert "[sso]" in text and 'default_role = "staff"' in text and "password_login = false" in text
    assert "[sso]" not in (exported / "brondby.toml").read_text()
    again = run(app_ctx, "sync", "--dir", str(exported))
    assert again.exit_code == 0 and "no changes" in again.output, again.output


BROKEN = {
    "missing issuer": (
        '[sso]\nclient_id = "x"\n',
        "municipalities/assens.toml: sso.issuer: missing",
    ),
    "issuer not a URL": (
        '[sso]\nissuer = "login.example"\nclient_id = "x"\n',
        "sso.issuer: 'login.example' is not an https:// URL",
    ),
    "unknown key": (
        '[sso]\nissuer = "https://idp.example"\nclient_id = "x"\nclient_secret = "no"\n',
        "municipalities/assens.toml: sso.client_secret: unknown key",
    ),
    "unknown role": (
        '[sso]\nissuer = "https://idp.example"\nclient_id = "x"\ndefault_role = "boss"\n',
        "sso.default_role: 'boss' is not a role",
    ),
    "password_login not a switch": (
        '[sso]\nissuer = "https://idp.example"\nclient_id = "x"\npassword_login = "no"\n',
        "sso.password_login: must be true or false",
    ),
    "scopes without openid": (
        '[sso]\nissuer = "https://idp.example"\nclient_id = "x"\nscopes = ["email"]\n',
        "sso.scopes: must include 'openid'",
    ),
    "mfa values not a list": (
        '[sso]\nissuer = "https://idp.example"\nclient_id = "x"\nmfa_amr = "mfa"\n',
        "sso.mfa_amr: must be a list of non-empty strings",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_sso_table_names_file_key_and_reason(
    app_ctx: Flask, config_dir: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, message = BROKEN[case]
    assens = config_dir / "assens.toml"
    assens.write_text(assens.read_text() + "\n" + table)
    monkeypatch.chdir(config_dir.parent)
    for command in ("check", "sync"):
        result = run(app_ctx, command, "--dir", str(config_dir))
        assert result.exit_code != 0
        assert message in result.output, result.output


def test_the_client_secret_comes_from_the_environment_by_slug(tmp_path: Path) -> None:
    assert secret_variable("ikast-brande") == "HELHED_SSO_SECRET_IKAST_BRANDE"
    config = load_config(
        tmp_path,
        environ={
            "HELHED_ENV": "testing",
            "HELHED_SSO_SECRET_ASSENS": "s3cret",
            "HELHED_SSO_SECRET_VEJLE": "  ",
            "HELHED_SSO_SECRET_": "nobody's",
        },
    )
    assert config["SSO_CLIENT_SECRETS"] == {"HELHED_SSO_SECRET_ASSENS": "s3cret"}


def test_single_sign_on_without_its_secret_is_a_clear_page_not_a_crash(client, municipalities):
    assens = municipalities["assens"]
    assens.settings = {
        **assens.settings,
        "sso": {"issuer": "https://idp.example", "client_id": "x"},
    }
    db.session.commit()
    response = client.get("/login/sso/assens")
    assert response.status_code == 503
