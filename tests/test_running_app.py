"""The security controls checked against the running application, not the test client.

Gunicorn (two workers, ``HELHED_ENV=production``) serves a scratch PostgreSQL database
as the non-owner application role, with the sign-in throttle in Redis (shared by the
workers, as in a deployment with several app servers). Requests go over HTTP with
cookies handled by hand, as a browser would send them.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from bench.harness import APP_ROLE, DatabaseUnavailable, Server, app_role, scratch_database
from tests.support.apps import missing_service
from tests.support.http_browser import Browser

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the server helper finds workers under /proc"
    ),
    # Servers in child processes: left out of `make test-quick`, run by `make test`.
    pytest.mark.slow,
]

PASSWORD = "correct horse battery"
SECRET = pyotp.random_base32()
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_service(f"Redis not reachable at {REDIS_URL}: {exc}")


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    _redis_or_skip()
    folder = Path(tempfile.mkdtemp(prefix="helhed-running-"))
    field_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    run = uuid.uuid4().hex[:8]
    try:
        with scratch_database("postgresql", folder) as url:
            world = _prepare(url, field_key, folder, run)
            running = Server(world["app_url"], 2, folder, field_key)
            # The deployment's own settings file: the access log format is under test.
            running.command[3:3] = ["-c", "python:app.core.gunicorn_conf"]
            running.env.update(
                {
                    "RATELIMIT_ENABLED": "true",
                    "RATELIMIT_STORAGE_URI": REDIS_URL,
                    # Its own keys: runs side by side (or within a minute) share Redis.
                    "RATELIMIT_KEY_PREFIX": f"helhed-test-{run}",
                    "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
                    "LOGIN_LIMIT_PER_ADDRESS": "60 per minute",
                }
            )
            running.start()
            try:
                yield {
                    **world,
                    "port": running.port,
                    "owner_url": url,
                    "server": running,
                    "run": run,
                }
            finally:
                running.stop()
    except DatabaseUnavailable as exc:
        missing_service(str(exc))
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _prepare(url: str, field_key: str, folder: Path, run: str) -> dict[str, Any]:
    from datetime import date

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.auth.services import create_user, grant_membership
    from app.collection.services import publish_catalogue
    from app.core.db import db
    from app.definitions.loader import load_catalogue
    from app.families.services import enrol_family
    from app.tenancy.config_files import load_directory
    from app.tenancy.models import Municipality
    from app.tenancy.scoping import tenant_scope
    from app.tenancy.services import sync_municipalities

    app = create_app(
        {
            "HELHED_ENV": "testing",
            "DATABASE_URL": url,
            "EXPORTS_DIR": str(folder / "exports"),
            "FIELD_ENCRYPTION_KEY": field_key,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    root = Path(__file__).resolve().parent.parent
    with app.app_context():
        upgrade()
        sync_municipalities(load_directory(root / "municipalities"))
        publish_catalogue(load_catalogue(root / "forms"))
        db.session.commit()
        places = {m.slug: m for m in db.session.scalars(select(Municipality))}
        families = {}
        for slug in ("brondby", "vejle"):
            with tenant_scope(places[slug]):
                families[slug] = enrol_family(places[slug], f"Familien {slug}", date.today()).id
                db.session.commit()
        with tenant_scope(places["brondby"]):
            staff = create_user(f"staff-{run}@brondby.example", "Staff", PASSWORD)
            grant_membership(staff, places["brondby"], "lead")
            admin = create_user(f"admin-{run}@brondby.example", "Admin", PASSWORD)
            grant_membership(admin, places["brondby"], "admin")
            admin.totp_secret = SECRET
            db.session.commit()
        app_url = app_role(url)
        db.session.remove()
        db.engine.dispose()
    return {
        "app_url": app_url,
        "staff": f"staff-{run}@brondby.example",
        "admin": f"admin-{run}@brondby.example",
        "families": families,
    }


def test_headers_and_cookies_of_the_production_server(server):
    browser = Browser(server["port"])
    status, headers, html, cookies = browser.request("GET", "/login")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    (session,) = [c for c in cookies if c.startswith("session=")]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert "<script>" not in html and ' style="' not in html


def test_healthz_answers_for_the_load_balancer(server):
    status, _headers, body, cookies = Browser(server["port"]).request("GET", "/healthz")
    assert status == 200 and '"status":"ok"' in body.replace(" ", "")
    _status, _headers, body, _cookies = Browser(server["port"]).request("GET", "/readyz")
    assert "the schema is current" in body
    assert not cookies


def test_the_throttle_is_shared_by_the_workers(server):
    """Three failures for one account, spread over two workers, then 429 for everyone."""
    statuses = []
    for _ in range(3):
        browser = Browser(server["port"])
        statuses.append(browser.log_in(server["staff"], "wrong password!")[0])
    assert statuses == [401, 401, 401]
    blocked = Browser(server["port"])
    status, headers = blocked.log_in(server["staff"], PASSWORD)
    assert status == 429, "even the right password waits"
    assert int(headers["Retry-After"]) > 0
    # The counts sit in Redis under a keyed hash of the address, never the address.
    import redis

    keys = [
        k.decode()
        for k in redis.Redis.from_url(REDIS_URL).scan_iter(f"*helhed-test-{server['run']}/*")
    ]
    assert any("account:" in key for key in keys), keys
    local = server["staff"].split("@")[0]
    assert [key for key in keys if local in key or "@" in key] == []


def test_an_admin_needs_the_second_factor(server):
    browser = Browser(server["port"])
    status, headers = browser.log_in(server["admin"], PASSWORD)
    assert status == 302 and headers["Location"].endswith("/login/code")
    assert browser.request("GET", "/brondby/admin/settings")[0] == 302
    assert browser.code("000000") == 401
    code = pyotp.TOTP(SECRET).now()
    assert browser.code(code) == 302
    assert browser.request("GET", "/brondby/admin/settings")[0] == 200

    # The same code cannot sign in a second time (for instance from a stolen screen).
    again = Browser(server["port"])
    again.log_in(server["admin"], PASSWORD)
    assert again.code(code) == 401


def test_the_server_runs_as_a_role_that_row_level_security_binds(server):
    """The app's own connections are the non-owner role, and that role is held by RLS."""
    import psycopg
    from sqlalchemy.engine import make_url

    browser = Browser(server["port"])
    browser.log_in(server["admin"], PASSWORD)
    # The next step's code: the current one was used by the test before.
    assert browser.code(pyotp.TOTP(SECRET).at(time.time() + 30)) == 302
    own = browser.request("GET", f"/brondby/families/{server['families']['brondby']}")[0]
    other = browser.request("GET", f"/brondby/families/{server['families']['vejle']}")[0]
    assert (own, other) == (200, 404)

    owner = make_url(server["owner_url"]).set(drivername="postgresql")
    with psycopg.connect(owner.render_as_string(hide_password=False)) as connection:
        users = {
            row[0]
            for row in connection.execute(
                "SELECT usename FROM pg_stat_activity WHERE datname = %s", (owner.database,)
            )
        }
        assert APP_ROLE in users
    app_dsn = make_url(server["app_url"]).set(drivername="postgresql")
    with psycopg.connect(app_dsn.render_as_string(hide_password=False)) as connection:
        flags = connection.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert flags == (False, False)
        # The same role the workers use, without a municipality: no family at all.
        assert connection.execute("SELECT count(*) FROM family").fetchone()[0] == 0
        connection.execute(
            "SELECT set_config('helhed.municipality_id', %s, true)",
            (str(_municipality_id(connection, server["families"]["brondby"], owner)),),
        )
        assert connection.execute("SELECT count(*) FROM family").fetchone()[0] == 1


def _municipality_id(connection: Any, family_id: int, owner: Any) -> int:
    import psycopg

    with psycopg.connect(owner.render_as_string(hide_password=False)) as as_owner:
        return as_owner.execute(
            "SELECT municipality_id FROM family WHERE id = %s", (family_id,)
        ).fetchone()[0]


def test_the_access_log_carries_no_personal_data(server):
    browser = Browser(server["port"])
    # Signed in or not, the search is in the URL the server logs.
    _, headers, _, _ = browser.request("GET", "/brondby/families/?q=Hansen-S%C3%B8rensen")
    request_id = headers["X-Request-ID"]
    # The worker writes its access-log line after the response has gone: wait for it.
    deadline = time.monotonic() + 10
    while True:
        log = server["server"].log_tail(100_000)
        # One JSON object per line (app/core/logs.py), gunicorn's master's from its start.
        messages = [json.loads(line)["message"] for line in log.splitlines() if line.strip()]
        requests = [line for line in messages if '"GET /' in line or '"POST /' in line]
        if any('"GET /brondby/families/"' in line for line in requests):
            break
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    assert "Hansen" not in log and "?q=" not in log
    assert "127.0.0.1" not in "\n".join(requests), "no client address"
    # The access line names the request as the answer did.
    (line,) = [r for r in requests if '"GET /brondby/families/"' in r]
    assert line.endswith(f" {request_id}")
    assert any(m.startswith("Starting gunicorn") for m in messages), "the master's own lines"
