"""/readyz names the part that fails; a key that cannot read the stored data stops the start."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy.engine import make_url

from app.auth.models import User
from app.core.db import db
from app.core.health import refused_key
from tests.support.apps import build_app
from tests.support.auth import TOTP_SECRET
from tests.support.workers import Worker


def _checks(response) -> dict[str, dict]:
    return {check["name"]: check for check in response.json["checks"]}


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_liveness_answers_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def _until(client, wanted, worker, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/readyz")
        if wanted(_checks(response)):
            return response
        assert time.monotonic() < deadline, worker.log.read_text()[-3000:]
        time.sleep(0.5)


def test_ready_names_every_part_it_checked(client, app_ctx, backend, tmp_path):
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
        # A real worker beside it: its heartbeat makes the queue ready, its stop unready.
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HELHED_", "FIELD_"))},
            "HELHED_ENV": "testing",
            "DATABASE_URL": app_ctx.config["SQLALCHEMY_DATABASE_URI"],
            "FIELD_ENCRYPTION_KEY": app_ctx.config["FIELD_ENCRYPTION_KEY"],
            "DIGEST_SCHEDULE": "false",
        }
        worker = Worker(env, tmp_path / "worker.log")
        try:
            again = _until(client, lambda c: c["job workers"]["ok"], worker)
            assert again.status_code == 200
        finally:
            worker.stop()
        # A worker that stops says goodbye: the queue has none again.
        gone = _until(client, lambda c: not c["job workers"]["ok"], worker)
        assert gone.status_code == 503
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
