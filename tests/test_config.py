"""Configuration is validated at start, with messages that say what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.config import _FROM_ENVIRONMENT, ConfigError, load_config, new_key

KEY = new_key()


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(tmp_path, environ={"HELHED_ENV": "production"})


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too short"):
        load_config(tmp_path, environ={"HELHED_ENV": "production", "SECRET_KEY": "short"})


def test_production_sets_secure_cookies(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={"HELHED_ENV": "production", "SECRET_KEY": "k" * 40, "FIELD_ENCRYPTION_KEY": KEY},
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_refuses_to_start_without_a_field_encryption_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FIELD_ENCRYPTION_KEY is not set"):
        load_config(tmp_path, environ={"HELHED_ENV": "production", "SECRET_KEY": "k" * 40})
    with pytest.raises(ConfigError, match="must be 32 bytes"):
        load_config(
            tmp_path,
            environ={
                "HELHED_ENV": "production",
                "SECRET_KEY": "k" * 40,
                "FIELD_ENCRYPTION_KEY": "short",
            },
        )


def test_development_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_config(tmp_path, environ={})["SECRET_KEY"]
    second = load_config(tmp_path, environ={})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    field_key = load_config(tmp_path, environ={})["FIELD_ENCRYPTION_KEY"]
    assert field_key == load_config(tmp_path, environ={})["FIELD_ENCRYPTION_KEY"]
    assert field_key != first


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={"DATABASE_URL": "postgresql://u@db.example:5432/helhed", "SECRET_KEY": "x"},
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/helhed"


def test_default_database_is_sqlite_under_instance(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'helhed.sqlite3'}"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HELHED_ENV": "staging"}, "HELHED_ENV='staging' is not known"),
        ({"DATABASE_URL": "not a url"}, "is not a database URL"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "Helhed supports sqlite"),
        ({"SQLITE_BUSY_TIMEOUT_MS": "soon"}, "SQLITE_BUSY_TIMEOUT_MS='soon' is not a whole number"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, environ=environ)


def test_create_app_accepts_a_config_mapping(tmp_path: Path) -> None:
    app = create_app(
        {"HELHED_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )
    assert app.config["TESTING"] is True
    assert "municipalities" in app.cli.commands and "users" in app.cli.commands


def test_every_setting_read_from_the_environment_names_itself_and_its_fix_when_bad(tmp_path):
    """Loops over every setting with a reader: a value it cannot read is one message that
    names the setting and says what to set, never a bare conversion error."""
    checked = 0
    for key, convert in _FROM_ENVIRONMENT.items():
        if convert is str:
            continue  # any text is a text
        with pytest.raises(ConfigError) as refused:
            load_config(tmp_path, environ={key: "not-a-value"})
        message = str(refused.value)
        assert message.startswith(f"{key}='not-a-value' is not "), message
        assert "set it to" in message, message
        checked += 1
    assert checked >= 10
