"""Log lines an operator can use: JSON, one per event, each naming the request it belongs to."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from app.core.logs import REQUEST_ID_HEADER, ContextFilter, JsonFormatter


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abcdef12-3456", True),
        ("", False),
        ("short", False),
        ("150387-4721 Plantedine", False),  # spaces: anything but an id is replaced
        ("x" * 65, False),
    ],
)
def test_every_answer_names_its_request(client, incoming, kept):
    headers = {REQUEST_ID_HEADER: incoming} if incoming else {}
    response = client.get("/healthz", headers=headers)
    sent = response.headers[REQUEST_ID_HEADER]
    assert (sent == incoming) is kept
    assert len(sent) >= 8 and " " not in sent


def test_a_line_made_in_a_request_carries_its_id_route_and_no_address(app, client):
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())

    logging.getLogger("helhed.test").addHandler(handler)
    try:
        with app.test_request_context("/healthz?navn=Plantedine&cpr=150387-4721"):
            app.preprocess_request()
            logging.getLogger("helhed.test").warning("seen")
            request_id = app.process_response(app.make_response("ok")).headers[REQUEST_ID_HEADER]
    finally:
        logging.getLogger("helhed.test").removeHandler(handler)
    (line,) = [json.loads(text) for text in records]
    assert line["request_id"] == request_id
    assert line["route"].endswith("healthz") and line["level"] == "WARNING"
    assert "150387" not in records[0] and "Plantedine" not in records[0]


def test_an_exception_is_folded_into_one_line_without_its_message():
    handler_records: list[str] = []
    formatter = JsonFormatter()
    try:
        raise ValueError("Plantedine Loggesen 150387-4721")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    handler_records.append(formatter.format(record))
    (text,) = handler_records
    assert "\n" not in text
    line = json.loads(text)
    assert line["exception"] == "builtins.ValueError"
    assert line["stack"][-1].endswith(
        ":test_an_exception_is_folded_into_one_line_without_its_message"
    )
    assert "Plantedine" not in text and "150387" not in text


def test_a_production_process_writes_json_lines(tmp_path):
    """The process as served: the root logger writes JSON, Flask's text handler is gone."""
    script = (
        "import logging\n"
        "from app import create_app\n"
        "app = create_app()\n"
        "with app.test_request_context('/'):\n"
        "    app.logger.error('one')\n"
        "logging.getLogger('helhed.jobs').warning('two')\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HELHED_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(text) for text in done.stderr.splitlines() if text.strip()]
    assert [line["message"] for line in lines if line["message"] in ("one", "two")] == [
        "one",
        "two",
    ]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert lines[0]["route"] is None or "request_id" in lines[0]
