"""The harness the benchmarks and the tests share: a scratch database, the application
role on PostgreSQL, and Helhed served by gunicorn in a child process or by werkzeug in a
thread. Small on purpose: what one benchmark needs beyond this stays in that benchmark.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent

#: Where scratch PostgreSQL databases are created and dropped (the tests use the same).
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: The PostgreSQL role the server runs as (passwordless, as in the test suite).
APP_ROLE = "helhed_app"


class DatabaseUnavailable(RuntimeError):
    """The PostgreSQL server for the scratch database cannot be reached."""


# -- the scratch database -------------------------------------------------------------------------


@contextmanager
def scratch_database(database: str, folder: Path) -> Iterator[str]:
    """A database URL to fill; a scratch PostgreSQL database is dropped afterwards.

    *database* is ``sqlite`` (a file in *folder*), ``postgresql`` (a scratch database on
    ``ADMIN_URL``), a ``postgresql://`` URL (a scratch database on that server) or a
    ``sqlite:///`` URL (that file, which must not exist yet, and is kept).
    """
    from sqlalchemy.engine import make_url

    if database == "sqlite":
        yield f"sqlite:///{folder / 'load.sqlite3'}"
        return
    if database.startswith("sqlite:"):
        target = make_url(database).database
        if not target or Path(target).exists():
            raise SystemExit(f"{database}: give a new SQLite file, so nothing is overwritten")
        yield database
        return
    import psycopg

    server = make_url(ADMIN_URL if database == "postgresql" else database)
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"helhed_load_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"PostgreSQL not reachable at {server.render_as_string()}: {exc}"
        ) from exc
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_role(url: str) -> str:
    """The URL of a role that owns nothing, with the application's grants.

    The server connects as deployments connect (docs/deployment.md), so row-level security
    binds every query. The role is the one the test suite uses, made if the server lacks
    it; its grants live in the scratch database and go with it.
    """
    from sqlalchemy.engine import make_url

    from app.core.db import db
    from app.tenancy.rls import grant_statements

    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        for statement in grant_statements(APP_ROLE):
            connection.exec_driver_sql(statement)
    return make_url(url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


# -- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _control_socket_off() -> list[str]:
    import gunicorn.config

    # gunicorn 25.1 and later open a control socket at one fixed path in $HOME: runs side
    # by side (the test suite beside a developer's server) would take it from each other.
    return ["--no-control-socket"] if hasattr(gunicorn.config, "ControlSocketDisable") else []


class Server:
    """gunicorn in a child process, with its workers found under /proc.

    By default it serves Helhed (``wsgi:app``) with gunicorn's own settings; *target*,
    *config* (a gunicorn ``-c`` argument) and *ready_path* (a GET that answers 200 once a
    worker serves) let another application run under the same command line.
    """

    def __init__(
        self,
        url: str,
        workers: int,
        folder: Path,
        field_key: str,
        *,
        target: str = "wsgi:app",
        config: str | None = None,
        ready_path: str = "/api/v1/openapi.json",
    ) -> None:
        self.port = free_port()
        self.ready_path = ready_path
        self.log_path = folder / "gunicorn.log"
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        # Production, as a real deployment runs it: it insists on its secrets. Its secure
        # session cookie does not matter because the clients use bearer tokens.
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "HELHED_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEY": field_key,
            "EXPORTS_DIR": str(folder / "exports"),
            # Sign-in throttling is off: every client works from the same address.
            "RATELIMIT_ENABLED": "false",
        }
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            "--timeout",
            "30",
            "--graceful-timeout",
            "10",
            *(["--config", config] if config else []),
            *_control_socket_off(),
            target,
        ]
        self.workers = workers

    def start(self, timeout: float = 60.0) -> None:
        self._log = self.log_path.open("wb")
        # A session of its own: Ctrl+C on the run reaches the run, which stops the server.
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        spawned = time.monotonic()
        while time.monotonic() < spawned + timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            if len(self.worker_pids()) == self.workers and self._answers():
                # One worker answers; the others were forked with it and import the
                # application at the same pace: as long again is ample for them to be ready,
                # so the clock does not start while half the workers are still loading.
                time.sleep(min(time.monotonic() - spawned, 5.0))
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", self.ready_path)
            response = connection.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """Live children of the master (a killed worker stays a zombie until reaped)."""
        assert self.process is not None
        master = self.process.pid
        try:
            # The kernel's own list, where it keeps one (CONFIG_PROC_CHILDREN).
            listed = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            listed = [entry for entry in os.listdir("/proc") if entry.isdigit()]
        found = []
        for entry in listed:
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the fields after its closing ")" do not.
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == master and state != "Z":
                found.append(int(entry))
        return sorted(found)

    def stop(self) -> None:
        """SIGTERM and wait: gunicorn lets workers finish their request, then exits."""
        if self.process is not None and self.process.poll() is None:
            workers = self.worker_pids()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for pid in [*workers, self.process.pid]:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def serve_in_thread(wsgi: Any) -> Iterator[int]:
    """*wsgi* served by werkzeug's threaded server on a free port of 127.0.0.1; the port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
