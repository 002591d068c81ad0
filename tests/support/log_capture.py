"""Planted personal values, and the log and the database traffic searched for them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from app.core.db import db
from app.core.logs import ContextFilter, JsonFormatter

NAME = "Plantedine Loggesen"
EMAIL = "plantedine.loggesen@example.test"
CPR = "150387-4721"


class Captured(logging.Handler):
    """Every record, formatted as the production log holds it: one JSON line each."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(ContextFilter())
        self.texts: list[str] = []

    def lines(self) -> list[dict]:
        return [json.loads(text) for text in self.texts]

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@pytest.fixture
def sent(app: Flask) -> Iterator[list[str]]:
    """Every text parameter the database received: the CPR number's encrypted form too."""
    values: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        pending = [parameters]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                pending.extend(value.values())
            elif isinstance(value, list | tuple):
                pending.extend(value)
            elif isinstance(value, str) and value.startswith("v1:"):
                values.append(value)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    yield values
    event.remove(engine, "before_cursor_execute", remember)


def planted(sent: list[str]) -> list[str]:
    return [NAME, EMAIL, CPR, CPR.replace("-", ""), *sent]
