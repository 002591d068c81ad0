"""A bad setting stops ``flask`` with one line on stderr that names it, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"


def _start(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HELHED_", "FIELD_"))}
    environ.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **settings})
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", "routes"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("settings", "named", "fix"),
    [
        ({"HELHED_ENV": "production"}, "SECRET_KEY", "set SECRET_KEY to"),
        ({"HELHED_ENV": "staging"}, "HELHED_ENV", "set it to one of development, production"),
        (
            {"HELHED_ENV": "testing", "FIELD_ENCRYPTION_KEY": "short"},
            "FIELD_ENCRYPTION_KEY",
            "keys generate",
        ),
        (
            {"HELHED_ENV": "testing", "MAIL_PORT": "smtp"},
            "MAIL_PORT",
            "is not a whole number: set it to digits only, e.g. 25, or leave it unset",
        ),
        (
            {"HELHED_ENV": "testing", "DATABASE_URL": "postgres ql://secret@x"},
            "DATABASE_URL",
            "use postgresql://USER@HOST:PORT/DATABASE",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_in_one_line(tmp_path, settings, named, fix):
    result = _start(tmp_path, **settings)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert named in lines[0]
    # It says what to do, not only what is wrong, and never repeats a database password.
    assert fix in lines[0]
    assert "secret" not in lines[0]
    assert "Traceback" not in result.stderr
