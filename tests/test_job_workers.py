"""Two application servers and the job workers as separate processes, as deployed.

Two gunicorn instances serve one database; ``flask jobs worker`` runs in a process of its
own. A report asked for through one server is built by the worker, and its progress is
read through the other. The worker is killed with SIGKILL while the job is running (the
job waits ``JOB_TEST_DELAY`` seconds between computing the figures and laying out the
PDF, so there is a moment to kill it in); a second worker takes the job over once the
first has been silent for ``JOBS_STALLED_SECONDS``, and finishes it. On PostgreSQL the
queue is Procrastinate's; on SQLite the local queue table.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.harness import ROOT, DatabaseUnavailable, Server, app_role, scratch_database
from tests.support.apps import missing_service
from tests.support.http_browser import Browser
from tests.support.workers import Worker

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the server helper finds workers under /proc"
    ),
    # Servers and workers in child processes: left out of `make test-quick`.
    pytest.mark.slow,
]

PASSWORD = "correct horse battery"
LEAD = "lead-jobs@brondby.example"
#: Anything still unfinished after this long has hung: the test fails rather than wait.
GIVE_UP_SECONDS = 180
#: What the worker processes are told beyond the servers' settings: a pause inside the
#: job, a heartbeat every half second, and a worker silent for two seconds counted dead.
WORKER_SETTINGS = {
    "JOB_TEST_DELAY": "4",
    "JOBS_HEARTBEAT_SECONDS": "0.5",
    "JOBS_STALLED_SECONDS": "2",
    "JOBS_POLL_SECONDS": "0.2",
    "DIGEST_SCHEDULE": "false",
}


def _prepare(url: str, field_key: str, folder: Path) -> str:
    """Migrate, load the municipalities and forms, add a lead; the servers' URL."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.services import create_user, grant_membership
    from app.collection.services import publish_catalogue
    from app.core.db import db
    from app.definitions.loader import load_catalogue
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
    with app.app_context():
        upgrade()
        sync_municipalities(load_directory(ROOT / "municipalities"))
        publish_catalogue(load_catalogue(ROOT / "forms"))
        db.session.commit()
        brondby = db.session.query(Municipality).filter_by(slug="brondby").one()
        with tenant_scope(brondby):
            lead = create_user(LEAD, "Leder", PASSWORD)
            grant_membership(lead, brondby, "lead")
            db.session.commit()
        server_url = app_role(url) if db.engine.dialect.name == "postgresql" else url
        db.session.remove()
        db.engine.dispose()
    return server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request, tmp_path) -> Iterator[dict[str, Any]]:
    field_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    try:
        with scratch_database(request.param, tmp_path) as url:
            server_url = _prepare(url, field_key, tmp_path)
            servers = []
            for n in range(2):
                folder = tmp_path / f"server-{n}"
                folder.mkdir()
                servers.append(Server(server_url, 1, folder, field_key))
            # One installation: the same secret (a session signed by one is good at the
            # other) and the same folder for finished files.
            shared = {
                "SECRET_KEY": servers[0].env["SECRET_KEY"],
                "EXPORTS_DIR": str(tmp_path / "exports"),
            }
            for server in servers:
                server.env.update(shared)
            try:
                for server in servers:
                    server.start()
                yield {
                    "servers": servers,
                    "worker_env": {**servers[0].env, **WORKER_SETTINGS},
                    "folder": tmp_path,
                    "owner_url": url,
                }
            finally:
                for server in servers:
                    server.stop()
    except DatabaseUnavailable as exc:
        missing_service(str(exc))


def _hidden_fields(html: str, action: str) -> dict[str, str]:
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)"[^>]* value="([^"]*)"', form))


def _status(html: str) -> str:
    found = re.search(r'<p role="status">([^<]*)', html)
    assert found, html[:2000]
    return found.group(1)


def _wait_for(browser: Browser, path: str, wanted: str, workers: list[Worker]) -> str:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while True:
        status, _, html, _ = browser.request("GET", path)
        assert status == 200, (status, html[:500])
        if wanted in _status(html):
            return html
        for worker in workers:
            assert worker.process.poll() is None, worker.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{path} never said {wanted!r}: {_status(html)}"
        time.sleep(0.1)


def test_a_report_survives_its_worker_killed_mid_job(deployment):
    first, second = deployment["servers"]
    asking = Browser(first.port)
    status, headers = asking.log_in(LEAD, PASSWORD)
    assert status == 302 and "login" not in headers["Location"], headers
    _, _, page, _ = asking.request("GET", "/brondby/reports/")
    fields = _hidden_fields(page, "/brondby/reports/pdf")
    status, headers, _, _ = asking.request(
        "POST", "/brondby/reports/pdf", {**fields, "language": "da"}
    )
    assert status == 302, headers
    job_path = headers["Location"].split(str(first.port), 1)[-1]
    # The other server, with the same session: the job is in the database, not a process.
    watching = Browser(second.port)
    watching.cookies = dict(asking.cookies)
    assert "venter på at starte" in _status(_wait_for(watching, job_path, "venter", []))

    logs = deployment["folder"]
    doomed = Worker(deployment["worker_env"], logs / "worker-1.log")
    try:
        _wait_for(watching, job_path, "under dannelse", [doomed])
        doomed.kill()
    finally:
        doomed.stop()
    # Killed mid-job: the page still says it is being built, and nobody builds it.
    assert "under dannelse" in _status(watching.request("GET", job_path)[2])

    rescuer = Worker(deployment["worker_env"], logs / "worker-2.log")
    try:
        html = _wait_for(watching, job_path, "klar", [rescuer])
    finally:
        rescuer.stop()
    assert "Hent PDF-filen" in html
    status, headers, _, _ = watching.request("GET", job_path + "/download")
    assert status == 200 and headers["Content-Type"] == "application/pdf", headers
    assert _attempts(deployment["owner_url"]) == 2  # the killed one and the one that finished


def _attempts(url: str) -> int:
    """How many times the queue started the report's one job."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                query = "SELECT attempts FROM procrastinate_jobs WHERE task_name = :task"
            else:
                query = "SELECT attempts FROM job_queue WHERE task = :task"
            # The periodic tasks have jobs of their own beside it.
            return connection.execute(text(query), {"task": "reports.render"}).scalar_one()
    finally:
        engine.dispose()
