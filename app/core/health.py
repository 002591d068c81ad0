"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work), in plain words.

Readiness names the part that fails in words an operator can act on: the database's host
and port (never its password), the revision the schema is at against the one the code
needs, an encryption key that cannot read what is stored, a job queue no worker serves, a
mail server that does not answer. Each check's text is built here from what is known, not
from the exception's message, which can carry the connection URL or a refused row.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from app.config import RESOURCES
from app.core import crypto
from app.core.db import db
from app.core.jobs import uses_procrastinate


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "message": self.message}


@cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(RESOURCES / "migrations"))
    return ScriptDirectory.from_config(config)


@cache
def code_heads() -> frozenset[str]:
    """The migration heads this code expects (read from migrations/ once per process)."""
    return frozenset(_scripts().get_heads())


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def _where() -> str:
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"in the file {url.database}"
    return f"at {url.host or 'localhost'}:{url.port or 5432}"


def _reason(exc: BaseException) -> str:
    """Why the database did not answer, found by trying its port: the driver's message is
    withheld from errors (it can quote values) and may name the password's user."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return "the file cannot be opened or is not a database"
    try:
        socket.create_connection((url.host or "localhost", url.port or 5432), timeout=2).close()
    except socket.gaierror:
        return "the host name is unknown"
    except TimeoutError:
        return "no answer in time"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError:
        return "the host cannot be reached"
    return (
        f"the server answers but refused the connection ({type(exc).__name__}): "
        "check the role, its password and the database name"
    )


def _migrations(connection: Connection) -> Check:
    try:
        at = frozenset(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    except SQLAlchemyError:
        at = frozenset()
    needed = ", ".join(sorted(code_heads()))
    if at == code_heads():
        return Check("migrations", True, f"the schema is current ({needed})")
    if not at:
        return Check(
            "migrations",
            False,
            f"the database has no schema yet: run `flask db upgrade` ({needed})",
        )
    shown = ", ".join(sorted(at))
    if all(_known(r) for r in at):
        return Check(
            "migrations",
            False,
            f"the schema is at {shown}, this code needs {needed}: run `flask db upgrade`",
        )
    return Check("migrations", False, f"the schema is at {shown}, newer than this code ({needed})")


def key_check(connection: Connection) -> Check:
    """A known answer: one value the key encrypted earlier must decrypt with the key now.

    A second factor's secret is stored encrypted outside any municipality's rows, so the
    application's role reads it under row-level security too.
    """
    try:
        stored = connection.execute(
            text("SELECT totp_secret FROM user_account WHERE totp_secret IS NOT NULL LIMIT 1")
        ).scalar()
    except SQLAlchemyError:
        connection.rollback()
        return Check("encryption key", True, "nothing stored yet to check the key against")
    if stored is None:
        return Check("encryption key", True, "nothing stored yet to check the key against")
    try:
        crypto.decrypt(stored)
    except Exception:  # cryptography's InvalidTag, or a value of another format
        return Check(
            "encryption key",
            False,
            "FIELD_ENCRYPTION_KEY cannot decrypt the stored data (known-answer check "
            "failed): set the key the data was written with",
        )
    return Check("encryption key", True, "the key reads the stored data")


def _workers(connection: Connection) -> Check | None:
    if not uses_procrastinate(current_app):
        return None  # the local worker runs inside the server's own process
    seconds = float(current_app.config["JOBS_STALLED_SECONDS"])
    try:
        alive = connection.execute(
            text(
                "SELECT count(*) FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
            ),
            {"seconds": seconds},
        ).scalar_one()
    except SQLAlchemyError:
        connection.rollback()
        alive = 0
    if alive:
        return Check("job workers", True, f"{alive} job worker(s) reporting")
    return Check(
        "job workers",
        False,
        f"no job worker has reported in the last {seconds:g} s: start `flask jobs worker`",
    )


def _mail() -> Check | None:
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return None
    port = int(current_app.config.get("MAIL_PORT") or 25)
    try:
        socket.create_connection((server, port), timeout=2).close()
    except OSError:
        return Check("mail", False, f"the mail server at {server}:{port} does not answer")
    return Check("mail", True, f"the mail server at {server}:{port} answers")


def readiness() -> list[Check]:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks = [Check("database", True, f"the database answers {_where()}")]
            checks.append(_migrations(connection))
            checks.append(key_check(connection))
            workers = _workers(connection)
            if workers:
                checks.append(workers)
    except SQLAlchemyError as exc:
        checks = [Check("database", False, f"database unreachable {_where()} ({_reason(exc)})")]
    mail = _mail()
    if mail:
        checks.append(mail)
    return checks


def check() -> dict[str, object]:
    checks = readiness()
    return {
        "status": "ok" if all(c.ok for c in checks) else "unavailable",
        "checks": [c.as_dict() for c in checks],
    }


def refused_key(app: Flask) -> str | None:
    """Why the process must not start with this key, or None; checked once at start.

    A database not reachable yet or not created yet is readiness's to report, not a reason
    to refuse: ``flask db upgrade`` itself starts through this entry.
    """
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                found = key_check(connection)
        except SQLAlchemyError:
            return None
        finally:
            db.engine.dispose()
    return None if found.ok else found.message
