"""/readyz names the part that fails; a key that cannot read the stored data stops the start."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.auth.models import User
from app.core.db import db
from app.core.health import refused_key
from tests.support.apps import build_app
from tests.support.auth import TOTP_SECRET


def _checks(response) -> dict[str, dict]:
    return {check["name"]: check for check in response.json["checks"]}


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_liveness_answers_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_ready_names_every_part_it_checked(client, app_ctx, backend):
    response = client.get("/readyz")
    checks = _checks(response)
    assert {"database", "migrations", "encryption key"} <= checks.keys()
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert "the schema is current" in checks["migrations"]["message"]
    assert "Set-Cookie" not in response.headers
    if backend == "postgresql":
        # The tests' server has no `flask jobs worker` beside it.
        assert not checks["job workers"]["ok"] and response.status_code == 503
        assert "start `flask jobs worker`" in checks["job workers"]["message"]
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        try:
            again = client.get("/readyz")
            assert _checks(again)["job workers"]["ok"] and again.status_code == 200
        finally:
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM procrastinate_workers"))
    else:
        assert response.status_code == 200 and "job workers" not in checks


def test_an_unreachable_database_is_named_by_host_and_port_without_password(tmp_path):
    url = "postgresql+psycopg://helhed:secretword@127.0.0.1:1/nowhere"
    from app import create_app
    from tests.support.apps import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    (check,) = response.json["checks"]
    assert check == {
        "name": "database",
        "ok": False,
        "message": "database unreachable at 127.0.0.1:1 (connection refused)",
    }
    assert "secretword" not in response.get_data(as_text=True)


def test_a_schema_behind_says_where_it_is_and_what_to_run(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        from flask_migrate import downgrade

        downgrade(revision="0006_reports")
        response = app.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    message = _checks(response)["migrations"]["message"]
    assert message.startswith("the schema is at 0006_reports, this code needs ")
    assert message.endswith("run `flask db upgrade`")


@pytest.fixture
def stored_secret(tmp_path):
    """A database holding a second factor's secret, encrypted with the first key."""
    path = tmp_path / "keyed.sqlite3"
    app = build_app(f"sqlite:///{path}")
    with app.app_context():
        db.session.add(
            User(email="k@example.test", name="K", password_hash="x", totp_secret=TOTP_SECRET)
        )
        db.session.commit()
        db.engine.dispose()
    return path, app.config["FIELD_ENCRYPTION_KEY"]


def test_a_wrong_key_is_named_by_readiness(stored_secret):
    path, key = stored_secret
    right = build_app(f"sqlite:///{path}", FIELD_ENCRYPTION_KEY=key)
    assert right.test_client().get("/readyz").status_code == 200
    assert refused_key(right) is None
    wrong = build_app(f"sqlite:///{path}", FIELD_ENCRYPTION_KEY=_new_key())
    response = wrong.test_client().get("/readyz")
    assert response.status_code == 503
    assert _checks(response)["encryption key"]["message"].startswith(
        "FIELD_ENCRYPTION_KEY cannot decrypt the stored data"
    )


def test_a_wrong_key_stops_the_start_with_one_line(stored_secret):
    path, _key = stored_secret
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HELHED_ENV": "development",
        "DATABASE_URL": f"sqlite:///{path}",
        "FIELD_ENCRYPTION_KEY": _new_key(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("Configuration error: FIELD_ENCRYPTION_KEY cannot decrypt")
    assert make_url(env["DATABASE_URL"]).database in str(path)
