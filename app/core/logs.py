"""Logs an operator can use: one JSON line per event, each carrying the request it belongs to.

Every line has the time, level, logger, message, the request id (also sent back as the
``X-Request-ID`` header, so an operator can find a user's report in the log), the user's
numeric id, the municipality's slug and the route's endpoint name. The endpoint name is
used rather than the address because an address can carry a CPR number typed into it by
hand, and query strings carry searched names. A traceback is folded into the line as the
exception's class and a short stack of ``file:line:function``: no local values and no
message text, since a database error's message can quote the values it refused.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it cannot carry anything but an id.
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: How many frames of a traceback the line keeps, innermost last.
STACK_FRAMES = 12


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


#: The job a worker is running: its task, and the id of the request that asked for it.
_JOB: ContextVar[dict[str, Any] | None] = ContextVar("helhed_job", default=None)


@contextmanager
def job_context(task: str, requested_by: str | None) -> Iterator[None]:
    """Log lines made while a job runs name it and carry its request's id, so an operator
    follows a report from the click that asked for it to the worker that built it."""
    fields: dict[str, Any] = {"job": task}
    if requested_by:
        fields["request_id"] = requested_by
    token = _JOB.set(fields)
    try:
        yield
    finally:
        _JOB.reset(token)


def _context() -> dict[str, Any]:
    if not has_request_context():
        return dict(_JOB.get() or {})
    fields: dict[str, Any] = {
        "request_id": g.get("request_id"),
        "route": request.endpoint,
        "method": request.method,
    }
    slug = g.get("municipality_slug")
    if slug:
        fields["municipality"] = slug
    # Read from the session's loaded user only: loading it here could touch the database
    # in the middle of logging a database error.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None)
    if user_id is not None:
        fields["user_id"] = user_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record, exceptions folded into it without their values."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "helhed_context", None) or _context())
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, tb = record.exc_info
            line["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            line["stack"] = [
                f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}:{frame.name}"
                for frame in traceback.extract_tb(tb)[-STACK_FRAMES:]
            ]
        return json.dumps(line, ensure_ascii=False, default=str)


class ContextFilter(logging.Filter):
    """Captures the request's fields when the record is made, on the request's thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "helhed_context"):
            record.helhed_context = _context()
        return True


def json_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    return handler


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _send_request_id(response):  # type: ignore[no-untyped-def]
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        return response

    if app.config.get("LOG_JSON", not app.testing):
        install()
        app.logger.removeHandler(default_handler)


def install() -> None:
    """Every logger writes through one JSON handler on the root logger."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # Flask's own handler and werkzeug's would print the same record a second time, as text.
    for name in ("flask.app", "werkzeug", "gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
