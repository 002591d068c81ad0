"""The health check behind ``/healthz``: database reachable, migrations current."""

from __future__ import annotations

from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.config import PROJECT_ROOT
from app.core.db import db


@cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
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


def check() -> dict[str, str]:
    try:
        with db.engine.connect() as connection:
            revisions = frozenset(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    except SQLAlchemyError as exc:
        # The exception's class says enough; its text may carry the connection URL.
        return {"status": "unavailable", "database": type(exc).__name__}
    if revisions != code_heads():
        return {
            "status": "unavailable",
            "database": "ok",
            # A revision this code knows is an older one; an unknown one is newer code's.
            "migrations": "behind: run `flask db upgrade`"
            if all(_known(r) for r in revisions)
            else "ahead of this code",
        }
    return {"status": "ok", "database": "ok", "migrations": "current"}
