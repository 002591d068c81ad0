"""The baseline of ``bench/submit.py``: the least a web endpoint must do to store a form.

One route, ``POST /submit``: parse the JSON body, insert one row (family id, form id, the
answers as JSON) in one transaction with SQLAlchemy Core, answer 201 with the new id. No
authentication, no validation beyond the body's shape, no audit trail, no ORM. Served by
the same gunicorn command line as Helhed: ``gunicorn … 'bench.minimal_app:create_app()'``,
with ``DATABASE_URL`` in the environment. ``create_table(url)`` makes its one table; on
PostgreSQL run it as the owner and grant the server's role with ``grant_statements``.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url

metadata = MetaData()
#: The answers column has the type Helhed's ``submission.answers`` has on each database.
minimal_submission = Table(
    "minimal_submission",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("family_id", Integer, nullable=False),
    Column("form_id", String(64), nullable=False),
    Column("answers", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
)


def engine_for(url: str) -> Engine:
    """An engine on *url*, with the SQLite settings Helhed's engine uses (app/core/db.py)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            if isinstance(dbapi_connection, sqlite3.Connection):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA busy_timeout=5000")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

    return engine


def create_table(url: str) -> None:
    engine = engine_for(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def grant_statements(role: str) -> list[str]:
    """What the server's role needs on PostgreSQL: write and read the table, draw ids."""
    return [
        f"GRANT SELECT, INSERT ON minimal_submission TO {role}",
        f"GRANT USAGE, SELECT ON SEQUENCE minimal_submission_id_seq TO {role}",
    ]


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = engine_for(url or os.environ["DATABASE_URL"])
    app.extensions["engine"] = engine

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    @app.post("/submit")
    def submit() -> tuple[Response, int]:
        data = request.get_json(silent=True)
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("family_id"), int)
            or not isinstance(data.get("form_id"), str)
            or not isinstance(data.get("answers"), dict)
        ):
            return jsonify(title="Give family_id, form_id and answers."), 400
        statement = (
            insert(minimal_submission)
            .values(family_id=data["family_id"], form_id=data["form_id"], answers=data["answers"])
            .returning(minimal_submission.c.id)
        )
        with engine.begin() as connection:
            new_id = connection.execute(statement).scalar_one()
        return jsonify(id=new_id), 201

    return app
