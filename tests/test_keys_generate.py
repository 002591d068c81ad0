"""`flask keys generate` prints two keys a production start accepts, and writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core import crypto
from tests.support.apps import build_app


def _generate(cwd: Path) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HELHED_ENV": "development"}
    project = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(project / "wsgi.py"), "keys", "generate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "apart from the backups" in done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def test_the_keys_are_new_each_time_and_work(tmp_path):
    before = set(tmp_path.rglob("*"))
    first, second = _generate(tmp_path), _generate(tmp_path)
    assert set(first) == set(second) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEY"}
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    assert first["FIELD_ENCRYPTION_KEY"] != second["FIELD_ENCRYPTION_KEY"]
    assert set(tmp_path.rglob("*")) == before, "nothing written"
    app = build_app(f"sqlite:///{tmp_path / 'k.sqlite3'}", **first)
    with app.app_context():
        assert crypto.decrypt(crypto.encrypt("150387-4721")) == "150387-4721"
    assert len(first["SECRET_KEY"]) >= 32
